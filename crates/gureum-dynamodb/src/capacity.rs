//! Consumed capacity as DynamoDB computes it: reads in 4 KB units (half a unit when eventually
//! consistent), writes in 1 KB units, transactions twice that, secondary index writes counted
//! per index; answered as ConsumedCapacity for ReturnConsumedCapacity TOTAL or INDEXES.

use std::collections::BTreeMap;

use gureum_core::AwsError;
use serde_json::{Map, Value, json};

use crate::errors::validation;

/// What ReturnConsumedCapacity asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    None,
    Total,
    Indexes,
}

impl Report {
    pub fn of(params: &Value) -> Result<Report, AwsError> {
        match params.get("ReturnConsumedCapacity").and_then(Value::as_str) {
            None | Some("NONE") => Ok(Report::None),
            Some("TOTAL") => Ok(Report::Total),
            Some("INDEXES") => Ok(Report::Indexes),
            Some(other) => Err(validation(format!(
                "1 validation error detected: Value '{other}' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"
            ))),
        }
    }
}

/// Read units for `bytes` read at once: 4 KB units, at least one, halved when eventually
/// consistent.
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent { units } else { units / 2.0 }
}

/// Write units for an item of `bytes`: 1 KB units, at least one.
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// Read and write units of one table or index.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Units {
    pub read: f64,
    pub write: f64,
}

impl Units {
    fn total(&self) -> f64 {
        self.read + self.write
    }

    fn json(&self) -> Value {
        let mut v = json!({"CapacityUnits": self.total()});
        if self.read > 0.0 {
            v["ReadCapacityUnits"] = json!(self.read);
        }
        if self.write > 0.0 {
            v["WriteCapacityUnits"] = json!(self.write);
        }
        v
    }
}

/// The capacity one request consumed on one table and its indexes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Consumed {
    pub table: Units,
    /// By (global, index name).
    pub indexes: BTreeMap<(bool, String), Units>,
}

impl Consumed {
    pub fn read(units: f64) -> Self {
        Consumed {
            table: Units {
                read: units,
                write: 0.0,
            },
            ..Default::default()
        }
    }

    pub fn index_read(global: bool, name: &str, units: f64) -> Self {
        let mut c = Consumed::default();
        c.indexes.insert(
            (global, name.to_string()),
            Units {
                read: units,
                write: 0.0,
            },
        );
        c
    }

    pub fn add(&mut self, other: &Consumed) {
        self.table.read += other.table.read;
        self.table.write += other.table.write;
        for (k, u) in &other.indexes {
            let e = self.indexes.entry(k.clone()).or_default();
            e.read += u.read;
            e.write += u.write;
        }
    }

    /// Every unit times `k` (transactions consume twice).
    pub fn scaled(mut self, k: f64) -> Self {
        self.table.read *= k;
        self.table.write *= k;
        for u in self.indexes.values_mut() {
            u.read *= k;
            u.write *= k;
        }
        self
    }

    pub fn total(&self) -> Units {
        let mut t = self.table;
        for u in self.indexes.values() {
            t.read += u.read;
            t.write += u.write;
        }
        t
    }

    /// The ConsumedCapacity DynamoDB answers, or `None` when not asked for.
    pub fn json(&self, table: &str, report: Report) -> Option<Value> {
        if report == Report::None {
            return None;
        }
        let mut v = self.total().json();
        v["TableName"] = json!(table);
        if report == Report::Indexes {
            v["Table"] = self.table.json();
            for (global, member) in [
                (true, "GlobalSecondaryIndexes"),
                (false, "LocalSecondaryIndexes"),
            ] {
                let list: Map<String, Value> = self
                    .indexes
                    .iter()
                    .filter(|((g, _), _)| *g == global)
                    .map(|((_, name), u)| (name.clone(), u.json()))
                    .collect();
                if !list.is_empty() {
                    v[member] = Value::Object(list);
                }
            }
        }
        Some(v)
    }
}

/// Adds `ConsumedCapacity` to `out` when asked for.
pub fn answer(out: &mut Value, consumed: &Consumed, table: &str, report: Report) {
    if let Some(c) = consumed.json(table, report) {
        out["ConsumedCapacity"] = c;
    }
}

/// Adds the list form (batches and transactions) to `out` when asked for.
pub fn answer_list(out: &mut Value, by_table: &BTreeMap<String, Consumed>, report: Report) {
    if report == Report::None {
        return;
    }
    out["ConsumedCapacity"] = Value::Array(
        by_table
            .iter()
            .filter_map(|(name, c)| c.json(name, report))
            .collect(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_round_up_per_dynamodb() {
        for (bytes, consistent, expect) in [
            (0, false, 0.5),
            (1, true, 1.0),
            (4096, true, 1.0),
            (4097, true, 2.0),
            (4097, false, 1.0),
            (10_000, false, 1.5),
        ] {
            assert_eq!(
                read_units(bytes, consistent),
                expect,
                "{bytes} {consistent}"
            );
        }
        for (bytes, expect) in [(0, 1.0), (1024, 1.0), (1025, 2.0), (3000, 3.0)] {
            assert_eq!(write_units(bytes), expect, "{bytes}");
        }
    }

    #[test]
    fn indexes_report_splits_tables_and_indexes() {
        let mut c = Consumed::default();
        c.table.write = 1.0;
        c.indexes.insert(
            (true, "g".into()),
            Units {
                read: 0.0,
                write: 2.0,
            },
        );
        let c = c.scaled(2.0);
        let v = c.json("t", Report::Indexes).unwrap_or_default();
        assert_eq!(v["CapacityUnits"], json!(6.0));
        assert_eq!(v["Table"]["CapacityUnits"], json!(2.0));
        assert_eq!(
            v["GlobalSecondaryIndexes"]["g"]["CapacityUnits"],
            json!(4.0)
        );
        assert!(v.get("LocalSecondaryIndexes").is_none());
        let t = c.json("t", Report::Total).unwrap_or_default();
        assert!(t.get("Table").is_none() && t["TableName"] == json!("t"));
        assert!(c.json("t", Report::None).is_none());
    }
}
