//! DynamoDB: tables that answer queries. Tables, items with condition and update expressions,
//! Query and Scan in DynamoDB's key order, on the embedded store; per account and region.

mod authz;
mod backups;
mod batch;
mod capacity;
mod codec;
mod errors;
mod eval;
mod expr;
mod legacy;
mod number;
mod ops;
mod partiql;
mod shared;
mod streams;
mod table;
mod table_ref;
mod throughput;
mod value;

use gureum_core::{
    AuthzTarget, AwsError, BoxFuture, OperationInput, OperationOutput, RequestContext, Service,
};
use gureum_store::Storage;

pub use streams::DynamoDbStreams;

/// The `dynamodb` service.
pub struct DynamoDb {
    storage: Storage,
    throughput: throughput::Throughput,
}

impl DynamoDb {
    pub fn new(storage: Storage) -> Self {
        DynamoDb {
            storage,
            throughput: throughput::Throughput::default(),
        }
    }

    /// With `enforce`, provisioned tables and their global secondary indexes throttle requests
    /// beyond their capacity (`--dynamodb-enforce-capacity`).
    pub fn enforcing_capacity(mut self, enforce: bool) -> Self {
        self.throughput = throughput::Throughput::new(enforce);
        self
    }
}

type Handler = gureum_core::service::ValueHandler<DynamoDb>;

/// Every operation implemented, with its handler.
static OPERATIONS: &[(&str, Handler)] = &[
    ("CreateTable", ops::create_table),
    ("DescribeTable", ops::describe_table),
    ("ListTables", ops::list_tables),
    ("DeleteTable", ops::delete_table),
    ("UpdateTable", ops::update_table),
    ("PutItem", ops::put_item),
    ("GetItem", ops::get_item),
    ("DeleteItem", ops::delete_item),
    ("UpdateItem", ops::update_item),
    ("Query", ops::query),
    ("Scan", ops::scan),
    ("BatchWriteItem", batch::batch_write_item),
    ("BatchGetItem", batch::batch_get_item),
    ("TransactWriteItems", batch::transact_write_items),
    ("TransactGetItems", batch::transact_get_items),
    ("UpdateTimeToLive", ops::update_time_to_live),
    ("DescribeTimeToLive", ops::describe_time_to_live),
    ("CreateBackup", backups::create_backup),
    ("DescribeBackup", backups::describe_backup),
    ("ListBackups", backups::list_backups),
    ("DeleteBackup", backups::delete_backup),
    ("RestoreTableFromBackup", backups::restore_table_from_backup),
    (
        "UpdateContinuousBackups",
        backups::update_continuous_backups,
    ),
    (
        "DescribeContinuousBackups",
        backups::describe_continuous_backups,
    ),
    (
        "RestoreTableToPointInTime",
        backups::restore_table_to_point_in_time,
    ),
    ("ExecuteStatement", partiql::execute_statement),
    ("BatchExecuteStatement", partiql::batch_execute_statement),
    ("ExecuteTransaction", partiql::execute_transaction),
];

fn handler(operation: &str) -> Option<Handler> {
    gureum_core::service::find_handler(OPERATIONS, operation)
}

impl Service for DynamoDb {
    fn name(&self) -> &'static str {
        "dynamodb"
    }

    fn implements(&self, operation: &str) -> bool {
        handler(operation).is_some()
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: OperationInput,
    ) -> BoxFuture<'a, Result<OperationOutput, AwsError>> {
        Box::pin(async move {
            let mut params = input.params;
            table_ref::resolve_all(ctx, operation, &mut params)?;
            throughput::start_request();
            match gureum_core::service::dispatch_values(
                "dynamodb", OPERATIONS, self, ctx, operation, params,
            ) {
                Ok(mut out) => {
                    out.usage = throughput::take_usage();
                    Ok(out)
                }
                // A failed conditional write is still billed.
                Err(e) => Err(e.with_usage(throughput::take_usage())),
            }
        })
    }

    fn reset(&self) -> Result<(), AwsError> {
        self.throughput.reset();
        Ok(())
    }

    /// Every table's storage, in byte-hours, as DynamoDB bills it.
    fn accrued_usage(&self, clock: &gureum_core::Clock) -> Vec<gureum_core::UsageEvent> {
        let tables: Vec<table::TableRecord> =
            match self
                .storage
                .kv
                .scan(table::TABLES, &gureum_store::KeyRange::all(), None, false)
            {
                Ok(rows) => rows
                    .iter()
                    .filter_map(|(_, v)| {
                        <table::TableRecord as gureum_store::Versioned>::from_record(v).ok()
                    })
                    .collect(),
                // The store failing shows in every request; this round meters nothing.
                Err(_) => return Vec::new(),
            };
        self.throughput.storage_usage(&tables, clock.now_millis())
    }

    /// `dynamodb:<Operation>` on the table's ARN (its index's for Query and Scan of an index,
    /// `*` for ListTables); batches name every table they touch, and transactions authorize each
    /// item's own action (PutItem, UpdateItem, DeleteItem, ConditionCheckItem, GetItem) on its
    /// table, as DynamoDB does.
    fn authz_targets(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &OperationInput,
    ) -> Vec<AuthzTarget> {
        authz::targets(ctx, operation, &input.params)
    }
}

/// `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`.
pub(crate) fn table_arn(ctx: &RequestContext, name: &str) -> String {
    // Built by hand: every request's authorization makes one.
    [
        "arn:aws:dynamodb:",
        &ctx.region,
        ":",
        ctx.account_id(),
        ":table/",
        name,
    ]
    .concat()
}
