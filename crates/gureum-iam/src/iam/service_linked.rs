//! Service-linked roles as records: CreateServiceLinkedRole (path `/aws-service-role/SERVICE/`,
//! AWS's role name for the service, a trust policy for that service), DeleteServiceLinkedRole
//! (which completes at once) and GetServiceLinkedRoleDeletionStatus.

use gureum_core::{AwsError, RequestContext};
use gureum_store::key;
use serde::Deserialize;
use serde_json::{Value, json};

use super::entities::PolicyHolder;
use super::roles::{self, DEFAULT_MAX_SESSION};
use super::{Iam, errors, input, new_id, render, validate};
use crate::model::{self, DeletionTask, Role, SLR_TASKS};

/// The role names AWS gives service-linked roles, by service principal.
const ROLE_NAMES: &[(&str, &str)] = &[
    ("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling"),
    ("backup.amazonaws.com", "AWSServiceRoleForBackup"),
    ("batch.amazonaws.com", "AWSServiceRoleForBatch"),
    ("cloudtrail.amazonaws.com", "AWSServiceRoleForCloudTrail"),
    ("config.amazonaws.com", "AWSServiceRoleForConfig"),
    ("dax.amazonaws.com", "AWSServiceRoleForDAX"),
    (
        "dynamodb.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
    ),
    (
        "ec2.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest",
    ),
    (
        "ec2scheduled.amazonaws.com",
        "AWSServiceRoleForEC2Scheduled",
    ),
    ("ecs.amazonaws.com", "AWSServiceRoleForECS"),
    (
        "ecs.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
    ),
    ("eks.amazonaws.com", "AWSServiceRoleForAmazonEKS"),
    (
        "eks-nodegroup.amazonaws.com",
        "AWSServiceRoleForAmazonEKSNodegroup",
    ),
    ("elasticache.amazonaws.com", "AWSServiceRoleForElastiCache"),
    (
        "elasticbeanstalk.amazonaws.com",
        "AWSServiceRoleForElasticBeanstalk",
    ),
    (
        "elasticfilesystem.amazonaws.com",
        "AWSServiceRoleForAmazonElasticFileSystem",
    ),
    (
        "elasticloadbalancing.amazonaws.com",
        "AWSServiceRoleForElasticLoadBalancing",
    ),
    (
        "es.amazonaws.com",
        "AWSServiceRoleForAmazonElasticsearchService",
    ),
    ("events.amazonaws.com", "AWSServiceRoleForCloudWatchEvents"),
    (
        "globalaccelerator.amazonaws.com",
        "AWSServiceRoleForGlobalAccelerator",
    ),
    (
        "guardduty.amazonaws.com",
        "AWSServiceRoleForAmazonGuardDuty",
    ),
    ("kafka.amazonaws.com", "AWSServiceRoleForKafka"),
    ("lightsail.amazonaws.com", "AWSServiceRoleForLightsail"),
    (
        "logger.cloudfront.amazonaws.com",
        "AWSServiceRoleForCloudFrontLogger",
    ),
    (
        "ops.apigateway.amazonaws.com",
        "AWSServiceRoleForAPIGateway",
    ),
    (
        "opensearchservice.amazonaws.com",
        "AWSServiceRoleForAmazonOpenSearchService",
    ),
    (
        "organizations.amazonaws.com",
        "AWSServiceRoleForOrganizations",
    ),
    ("rds.amazonaws.com", "AWSServiceRoleForRDS"),
    (
        "rds.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_RDSCluster",
    ),
    (
        "replication.dynamodb.amazonaws.com",
        "AWSServiceRoleForDynamoDBReplication",
    ),
    ("spot.amazonaws.com", "AWSServiceRoleForEC2Spot"),
    ("spotfleet.amazonaws.com", "AWSServiceRoleForEC2SpotFleet"),
    ("ssm.amazonaws.com", "AWSServiceRoleForAmazonSSM"),
    ("support.amazonaws.com", "AWSServiceRoleForSupport"),
    (
        "transitgateway.amazonaws.com",
        "AWSServiceRoleForVPCTransitGateway",
    ),
    (
        "trustedadvisor.amazonaws.com",
        "AWSServiceRoleForTrustedAdvisor",
    ),
];

fn pascal(s: &str) -> String {
    s.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// AWS's name for the service-linked role of `service` (`autoscaling.amazonaws.com` ->
/// `AWSServiceRoleForAutoScaling`); services not in the table get the same rule AWS follows for
/// most: the service's name in PascalCase, a sub-service after an underscore.
pub fn role_name_for(service: &str) -> Option<String> {
    if let Some((_, name)) = ROLE_NAMES.iter().find(|(s, _)| *s == service) {
        return Some((*name).to_string());
    }
    let host = service
        .strip_suffix(".amazonaws.com")
        .or_else(|| service.strip_suffix(".amazonaws.com.cn"))?;
    let parts: Vec<&str> = host.split('.').collect();
    match parts.as_slice() {
        [svc] if !svc.is_empty() => Some(format!("AWSServiceRoleFor{}", pascal(svc))),
        [sub, svc] if !sub.is_empty() && !svc.is_empty() => {
            Some(format!("AWSServiceRoleFor{}_{}", pascal(svc), pascal(sub)))
        }
        _ => None,
    }
}

#[derive(Deserialize)]
struct CreateServiceLinkedRole {
    #[serde(rename = "AWSServiceName")]
    service: String,
    #[serde(rename = "Description")]
    description: Option<String>,
    #[serde(rename = "CustomSuffix")]
    custom_suffix: Option<String>,
}

pub fn create_service_linked_role(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: CreateServiceLinkedRole = input(params)?;
    if let Some(s) = &req.custom_suffix {
        validate::name(s, "customSuffix")?;
    }
    let base = role_name_for(&req.service).ok_or_else(|| {
        errors::invalid_input(format!("Service name {} is not valid.", req.service))
    })?;
    let name = match &req.custom_suffix {
        Some(s) => format!("{base}_{s}"),
        None => base,
    };
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": [req.service]},
            "Action": ["sts:AssumeRole"],
        }],
    });
    let account = ctx.account_id();
    let role = Role {
        name: name.clone(),
        id: new_id("AROA"),
        path: format!("/aws-service-role/{}/", req.service),
        create_date: ctx.clock.now_secs(),
        assume_role_policy: trust.to_string(),
        description: req.description,
        max_session_duration: DEFAULT_MAX_SESSION,
        tags: Vec::new(),
        permissions_boundary: None,
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
        instance_profiles: Vec::new(),
        linked_service: Some(req.service.clone()),
        last_used: None,
    };
    roles::insert_role(iam, account, &role).map_err(|e| {
        if e.code == "EntityAlreadyExists" {
            errors::invalid_input(format!(
                "Service role name {name} has been taken in this account, please try a different suffix."
            ))
        } else {
            e
        }
    })?;
    let mut out = render::role(&role, account, true);
    if let Some(m) = out.as_object_mut() {
        m.remove("RoleLastUsed");
    }
    Ok(json!({"Role": out}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleName {
    role_name: String,
}

pub fn delete_service_linked_role(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: RoleName = input(params)?;
    let account = ctx.account_id();
    let task_id = model::transact(iam.kv(), |txn| {
        let role = Role::require(txn, account, &req.role_name)?;
        let Some(service) = &role.linked_service else {
            return Err(errors::invalid_input(format!(
                "Role {} is not a service-linked role.",
                role.name
            )));
        };
        roles::remove_role(txn, account, &role)?;
        let id = format!(
            "task/aws-service-role/{service}/{}/{}",
            role.name,
            gureum_core::new_request_id()
        );
        model::write(
            txn,
            SLR_TASKS,
            &key::join([account, id.as_str()]),
            &DeletionTask {
                status: "SUCCEEDED".into(),
            },
        )?;
        Ok(id)
    })?;
    Ok(json!({"DeletionTaskId": task_id}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeletionTaskId {
    deletion_task_id: String,
}

pub fn get_service_linked_role_deletion_status(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: DeletionTaskId = input(params)?;
    let task: Option<DeletionTask> = model::read(
        &mut model::Committed(iam.kv()),
        SLR_TASKS,
        &key::join([ctx.account_id(), req.deletion_task_id.as_str()]),
    )?;
    let task = task.ok_or_else(|| {
        errors::no_such_entity(format!(
            "Deletion task {} cannot be found.",
            req.deletion_task_id
        ))
    })?;
    Ok(json!({"Status": task.status}))
}

#[cfg(test)]
mod tests {
    use super::role_name_for;

    #[test]
    fn role_names_as_aws_gives_them() {
        for (service, want) in [
            (
                "autoscaling.amazonaws.com",
                Some("AWSServiceRoleForAutoScaling"),
            ),
            (
                "elasticloadbalancing.amazonaws.com",
                Some("AWSServiceRoleForElasticLoadBalancing"),
            ),
            ("spot.amazonaws.com", Some("AWSServiceRoleForEC2Spot")),
            ("newthing.amazonaws.com", Some("AWSServiceRoleForNewthing")),
            (
                "my-sub.svc.amazonaws.com",
                Some("AWSServiceRoleForSvc_MySub"),
            ),
            ("example.com", None),
            (".amazonaws.com", None),
        ] {
            assert_eq!(role_name_for(service).as_deref(), want, "{service}");
        }
    }
}
