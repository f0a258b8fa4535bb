//! The AWS managed policies users expect by name (`arn:aws:iam::aws:policy/...`): attachable in
//! every account, listed by ListPolicies with Scope=AWS or All, never deletable or editable.
//!
//! The documents follow AWS's published ones in shape: the same Effect / Action / NotAction /
//! Resource / Condition structure and the same service wildcards, so the evaluator decides as
//! AWS would for the services gureum implements. Long read-only action lists are abridged to
//! the services gureum knows plus the most common others.

/// One AWS managed policy.
#[derive(Debug)]
pub struct AwsManagedPolicy {
    pub name: &'static str,
    /// `/`, `/job-function/` or `/service-role/`.
    pub path: &'static str,
    /// The default (and only served) version.
    pub version: &'static str,
    pub create_date: i64,
    pub update_date: i64,
    pub description: &'static str,
    pub document: &'static str,
}

impl AwsManagedPolicy {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy{}{}", self.path, self.name)
    }

    /// A stable `ANPA...` id derived from the name (the same in every account and run).
    pub fn id(&self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        // FNV-1a, extended by re-mixing, to fill 17 characters deterministically.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.path.bytes().chain(self.name.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        let mut out = String::from("ANPA");
        for i in 0..17u64 {
            let mut z = h.wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            z = (z ^ (z >> 31)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z ^= z >> 29;
            out.push(ALPHABET[(z & 31) as usize] as char);
        }
        out
    }
}

/// Every AWS managed policy gureum serves.
pub fn all() -> &'static [AwsManagedPolicy] {
    POLICIES
}

/// The AWS managed policy an ARN names (exact path and name).
pub fn by_arn(arn: &str) -> Option<&'static AwsManagedPolicy> {
    let rest = arn.strip_prefix("arn:aws:iam::aws:policy")?;
    POLICIES
        .iter()
        .find(|p| rest.strip_prefix(p.path) == Some(p.name))
}

const C2015: i64 = 1_423_247_986; // 2015-02-06T18:39:46Z
const C2016: i64 = 1_478_798_415; // 2016-11-10T17:20:15Z

static POLICIES: &[AwsManagedPolicy] = &[
    AwsManagedPolicy {
        name: "AdministratorAccess",
        path: "/",
        version: "v1",
        create_date: C2015,
        update_date: C2015,
        description: "Provides full access to AWS services and resources.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "PowerUserAccess",
        path: "/",
        version: "v5",
        create_date: C2015,
        update_date: 1_693_333_164,
        description: "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "NotAction": [
                "iam:*",
                "organizations:*",
                "account:*"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "account:GetAccountInformation",
                "account:GetPrimaryEmail",
                "account:ListRegions",
                "iam:CreateServiceLinkedRole",
                "iam:DeleteServiceLinkedRole",
                "iam:ListRoles",
                "organizations:DescribeOrganization"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "ReadOnlyAccess",
        path: "/",
        version: "v120",
        create_date: C2015,
        update_date: 1_736_899_200,
        description: "Provides read-only access to AWS services and resources.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadOnlyActions",
            "Effect": "Allow",
            "Action": [
                "acm:Describe*",
                "acm:Get*",
                "acm:List*",
                "apigateway:GET",
                "application-autoscaling:Describe*",
                "autoscaling:Describe*",
                "autoscaling:GetPredictiveScalingForecast",
                "ce:Describe*",
                "ce:Get*",
                "ce:List*",
                "cloudformation:Describe*",
                "cloudformation:Detect*",
                "cloudformation:Estimate*",
                "cloudformation:Get*",
                "cloudformation:List*",
                "cloudfront:Describe*",
                "cloudfront:Get*",
                "cloudfront:List*",
                "cloudtrail:Describe*",
                "cloudtrail:Get*",
                "cloudtrail:List*",
                "cloudtrail:LookupEvents",
                "cloudwatch:Describe*",
                "cloudwatch:Get*",
                "cloudwatch:List*",
                "dynamodb:BatchGet*",
                "dynamodb:Describe*",
                "dynamodb:Get*",
                "dynamodb:List*",
                "dynamodb:PartiQLSelect",
                "dynamodb:Query",
                "dynamodb:Scan",
                "ec2:Describe*",
                "ec2:Get*",
                "ec2:SearchTransitGatewayRoutes",
                "ecr:BatchCheck*",
                "ecr:BatchGet*",
                "ecr:Describe*",
                "ecr:Get*",
                "ecr:List*",
                "ecs:Describe*",
                "ecs:List*",
                "elasticfilesystem:Describe*",
                "elasticfilesystem:ListTagsForResource",
                "elasticloadbalancing:Describe*",
                "events:Describe*",
                "events:List*",
                "events:Test*",
                "glacier:Describe*",
                "glacier:Get*",
                "glacier:List*",
                "iam:Generate*",
                "iam:Get*",
                "iam:List*",
                "iam:Simulate*",
                "kms:Describe*",
                "kms:Get*",
                "kms:List*",
                "lambda:Get*",
                "lambda:List*",
                "lightsail:Get*",
                "logs:Describe*",
                "logs:FilterLogEvents",
                "logs:Get*",
                "logs:ListTagsForResource",
                "logs:ListTagsLogGroup",
                "logs:StartQuery",
                "logs:StopQuery",
                "logs:TestMetricFilter",
                "rds:Describe*",
                "rds:Download*",
                "rds:List*",
                "route53:Get*",
                "route53:List*",
                "route53:Test*",
                "route53domains:Check*",
                "route53domains:Get*",
                "route53domains:List*",
                "route53domains:View*",
                "s3:Describe*",
                "s3:Get*",
                "s3:List*",
                "secretsmanager:Describe*",
                "secretsmanager:GetResourcePolicy",
                "secretsmanager:List*",
                "sns:Check*",
                "sns:Get*",
                "sns:List*",
                "sqs:Get*",
                "sqs:List*",
                "sqs:Receive*",
                "ssm:Describe*",
                "ssm:Get*",
                "ssm:List*",
                "states:Describe*",
                "states:GetExecutionHistory",
                "states:List*",
                "storagegateway:Describe*",
                "storagegateway:List*",
                "sts:GetAccessKeyInfo",
                "sts:GetCallerIdentity",
                "sts:GetSessionToken",
                "tag:Get*"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "IAMFullAccess",
        path: "/",
        version: "v2",
        create_date: C2015,
        update_date: 1_548_711_416,
        description: "Provides full access to IAM via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "iam:*",
                "organizations:DescribeAccount",
                "organizations:DescribeOrganization",
                "organizations:DescribeOrganizationalUnit",
                "organizations:DescribePolicy",
                "organizations:ListChildren",
                "organizations:ListParents",
                "organizations:ListPoliciesForTarget",
                "organizations:ListRoots",
                "organizations:ListPolicies",
                "organizations:ListTargetsForPolicy"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "IAMReadOnlyAccess",
        path: "/",
        version: "v4",
        create_date: C2015,
        update_date: 1_548_711_416,
        description: "Provides read only access to IAM via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "iam:GenerateCredentialReport",
                "iam:GenerateServiceLastAccessedDetails",
                "iam:Get*",
                "iam:List*",
                "iam:SimulateCustomPolicy",
                "iam:SimulatePrincipalPolicy"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "IAMUserChangePassword",
        path: "/",
        version: "v2",
        create_date: 1_479_328_823,
        update_date: 1_479_328_823,
        description: "Provides the ability for an IAM user to change their own password.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "iam:ChangePassword"
            ],
            "Resource": [
                "arn:aws:iam::*:user/${aws:username}"
            ]
        },
        {
            "Effect": "Allow",
            "Action": [
                "iam:GetAccountPasswordPolicy"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonS3FullAccess",
        path: "/",
        version: "v2",
        create_date: C2015,
        update_date: 1_632_157_200,
        description: "Provides full access to all buckets via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "s3:*",
                "s3-object-lambda:*"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonS3ReadOnlyAccess",
        path: "/",
        version: "v3",
        create_date: C2015,
        update_date: 1_692_748_800,
        description: "Provides read only access to all buckets via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "s3:Get*",
                "s3:List*",
                "s3:Describe*",
                "s3-object-lambda:Get*",
                "s3-object-lambda:List*"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonDynamoDBFullAccess",
        path: "/",
        version: "v22",
        create_date: C2015,
        update_date: 1_701_820_800,
        description: "Provides full access to Amazon DynamoDB via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "dynamodb:*",
                "dax:*",
                "application-autoscaling:DeleteScalingPolicy",
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingActivities",
                "application-autoscaling:DescribeScalingPolicies",
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:RegisterScalableTarget",
                "cloudwatch:DeleteAlarms",
                "cloudwatch:DescribeAlarmHistory",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:DescribeAlarmsForMetric",
                "cloudwatch:GetMetricStatistics",
                "cloudwatch:ListMetrics",
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:GetMetricData",
                "datapipeline:ActivatePipeline",
                "datapipeline:CreatePipeline",
                "datapipeline:DeletePipeline",
                "datapipeline:DescribeObjects",
                "datapipeline:DescribePipelines",
                "datapipeline:GetPipelineDefinition",
                "datapipeline:ListPipelines",
                "datapipeline:PutPipelineDefinition",
                "datapipeline:QueryObjects",
                "ec2:DescribeVpcs",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "iam:GetRole",
                "iam:ListRoles",
                "kms:DescribeKey",
                "kms:ListAliases",
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:ListSubscriptions",
                "sns:ListSubscriptionsByTopic",
                "sns:ListTopics",
                "sns:Subscribe",
                "sns:Unsubscribe",
                "sns:SetTopicAttributes",
                "lambda:CreateFunction",
                "lambda:ListFunctions",
                "lambda:ListEventSourceMappings",
                "lambda:CreateEventSourceMapping",
                "lambda:DeleteEventSourceMapping",
                "lambda:GetFunctionConfiguration",
                "lambda:DeleteFunction",
                "resource-groups:ListGroups",
                "resource-groups:ListGroupResources",
                "resource-groups:GetGroup",
                "resource-groups:GetGroupQuery",
                "resource-groups:DeleteGroup",
                "resource-groups:CreateGroup",
                "tag:GetResources",
                "kinesis:ListStreams",
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary"
            ],
            "Effect": "Allow",
            "Resource": "*"
        },
        {
            "Action": "cloudwatch:GetInsightRuleReport",
            "Effect": "Allow",
            "Resource": "arn:aws:cloudwatch:*:*:insight-rule/DynamoDBContributorInsights*"
        },
        {
            "Action": [
                "iam:PassRole"
            ],
            "Effect": "Allow",
            "Resource": "*",
            "Condition": {
                "StringLike": {
                    "iam:PassedToService": [
                        "application-autoscaling.amazonaws.com",
                        "application-autoscaling.amazonaws.com.cn",
                        "dax.amazonaws.com"
                    ]
                }
            }
        },
        {
            "Effect": "Allow",
            "Action": [
                "iam:CreateServiceLinkedRole"
            ],
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "iam:AWSServiceName": [
                        "replication.dynamodb.amazonaws.com",
                        "dax.amazonaws.com",
                        "dynamodb.application-autoscaling.amazonaws.com",
                        "contributorinsights.dynamodb.amazonaws.com",
                        "kinesisreplication.dynamodb.amazonaws.com"
                    ]
                }
            }
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonDynamoDBReadOnlyAccess",
        path: "/",
        version: "v13",
        create_date: C2015,
        update_date: 1_701_820_800,
        description: "Provides read only access to Amazon DynamoDB via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingActivities",
                "application-autoscaling:DescribeScalingPolicies",
                "cloudwatch:DescribeAlarmHistory",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:DescribeAlarmsForMetric",
                "cloudwatch:GetMetricData",
                "cloudwatch:GetMetricStatistics",
                "cloudwatch:ListMetrics",
                "datapipeline:DescribeObjects",
                "datapipeline:DescribePipelines",
                "datapipeline:GetPipelineDefinition",
                "datapipeline:ListPipelines",
                "datapipeline:QueryObjects",
                "dynamodb:BatchGetItem",
                "dynamodb:Describe*",
                "dynamodb:List*",
                "dynamodb:GetAbacStatus",
                "dynamodb:GetItem",
                "dynamodb:GetResourcePolicy",
                "dynamodb:Query",
                "dynamodb:Scan",
                "dynamodb:PartiQLSelect",
                "dax:Describe*",
                "dax:List*",
                "dax:GetItem",
                "dax:BatchGetItem",
                "dax:Query",
                "dax:Scan",
                "ec2:DescribeVpcs",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "iam:GetRole",
                "iam:ListRoles",
                "kms:DescribeKey",
                "kms:ListAliases",
                "sns:ListSubscriptionsByTopic",
                "sns:ListTopics",
                "lambda:ListFunctions",
                "lambda:ListEventSourceMappings",
                "lambda:GetFunctionConfiguration",
                "resource-groups:ListGroups",
                "resource-groups:ListGroupResources",
                "resource-groups:GetGroup",
                "resource-groups:GetGroupQuery",
                "tag:GetResources",
                "kinesis:ListStreams",
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary"
            ],
            "Effect": "Allow",
            "Resource": "*"
        },
        {
            "Action": "cloudwatch:GetInsightRuleReport",
            "Effect": "Allow",
            "Resource": "arn:aws:cloudwatch:*:*:insight-rule/DynamoDBContributorInsights*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonEC2FullAccess",
        path: "/",
        version: "v5",
        create_date: C2015,
        update_date: 1_539_817_200,
        description: "Provides full access to Amazon EC2 via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": "ec2:*",
            "Effect": "Allow",
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": "elasticloadbalancing:*",
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": "cloudwatch:*",
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": "autoscaling:*",
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "iam:AWSServiceName": [
                        "autoscaling.amazonaws.com",
                        "ec2scheduled.amazonaws.com",
                        "elasticloadbalancing.amazonaws.com",
                        "spot.amazonaws.com",
                        "spotfleet.amazonaws.com",
                        "transitgateway.amazonaws.com"
                    ]
                }
            }
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonEC2ReadOnlyAccess",
        path: "/",
        version: "v1",
        create_date: C2015,
        update_date: C2015,
        description: "Provides read only access to Amazon EC2 via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "ec2:Describe*",
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": "elasticloadbalancing:Describe*",
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "cloudwatch:ListMetrics",
                "cloudwatch:GetMetricStatistics",
                "cloudwatch:Describe*"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": "autoscaling:Describe*",
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonVPCFullAccess",
        path: "/",
        version: "v17",
        create_date: C2015,
        update_date: 1_708_387_200,
        description: "Provides full access to Amazon VPC via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AmazonVPCFullAccess",
            "Effect": "Allow",
            "Action": [
                "ec2:AcceptVpcPeeringConnection",
                "ec2:AllocateAddress",
                "ec2:AssignIpv6Addresses",
                "ec2:AssignPrivateIpAddresses",
                "ec2:AssociateAddress",
                "ec2:AssociateDhcpOptions",
                "ec2:AssociateRouteTable",
                "ec2:AssociateSubnetCidrBlock",
                "ec2:AssociateVpcCidrBlock",
                "ec2:AttachInternetGateway",
                "ec2:AttachNetworkInterface",
                "ec2:AttachVpnGateway",
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:CreateCustomerGateway",
                "ec2:CreateDefaultSubnet",
                "ec2:CreateDefaultVpc",
                "ec2:CreateDhcpOptions",
                "ec2:CreateEgressOnlyInternetGateway",
                "ec2:CreateFlowLogs",
                "ec2:CreateInternetGateway",
                "ec2:CreateNatGateway",
                "ec2:CreateNetworkAcl",
                "ec2:CreateNetworkAclEntry",
                "ec2:CreateNetworkInterface",
                "ec2:CreateNetworkInterfacePermission",
                "ec2:CreateRoute",
                "ec2:CreateRouteTable",
                "ec2:CreateSecurityGroup",
                "ec2:CreateSubnet",
                "ec2:CreateTags",
                "ec2:CreateVpc",
                "ec2:CreateVpcEndpoint",
                "ec2:CreateVpcPeeringConnection",
                "ec2:CreateVpnConnection",
                "ec2:CreateVpnConnectionRoute",
                "ec2:CreateVpnGateway",
                "ec2:DeleteCustomerGateway",
                "ec2:DeleteDhcpOptions",
                "ec2:DeleteEgressOnlyInternetGateway",
                "ec2:DeleteFlowLogs",
                "ec2:DeleteInternetGateway",
                "ec2:DeleteNatGateway",
                "ec2:DeleteNetworkAcl",
                "ec2:DeleteNetworkAclEntry",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
                "ec2:DeleteRoute",
                "ec2:DeleteRouteTable",
                "ec2:DeleteSecurityGroup",
                "ec2:DeleteSubnet",
                "ec2:DeleteTags",
                "ec2:DeleteVpc",
                "ec2:DeleteVpcEndpoints",
                "ec2:DeleteVpcPeeringConnection",
                "ec2:DeleteVpnConnection",
                "ec2:DeleteVpnConnectionRoute",
                "ec2:DeleteVpnGateway",
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeClassicLinkInstances",
                "ec2:DescribeCustomerGateways",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeEgressOnlyInternetGateways",
                "ec2:DescribeFlowLogs",
                "ec2:DescribeInstances",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeKeyPairs",
                "ec2:DescribeMovingAddresses",
                "ec2:DescribeNatGateways",
                "ec2:DescribeNetworkAcls",
                "ec2:DescribeNetworkInterfaceAttribute",
                "ec2:DescribeNetworkInterfacePermissions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribePrefixLists",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroupReferences",
                "ec2:DescribeSecurityGroupRules",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeStaleSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeTags",
                "ec2:DescribeVpcAttribute",
                "ec2:DescribeVpcEndpoints",
                "ec2:DescribeVpcEndpointServices",
                "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeVpcs",
                "ec2:DescribeVpnConnections",
                "ec2:DescribeVpnGateways",
                "ec2:DetachInternetGateway",
                "ec2:DetachNetworkInterface",
                "ec2:DetachVpnGateway",
                "ec2:DisassociateAddress",
                "ec2:DisassociateRouteTable",
                "ec2:DisassociateSubnetCidrBlock",
                "ec2:DisassociateVpcCidrBlock",
                "ec2:ModifyNetworkInterfaceAttribute",
                "ec2:ModifySecurityGroupRules",
                "ec2:ModifySubnetAttribute",
                "ec2:ModifyVpcAttribute",
                "ec2:ModifyVpcEndpoint",
                "ec2:ModifyVpcPeeringConnectionOptions",
                "ec2:RejectVpcPeeringConnection",
                "ec2:ReleaseAddress",
                "ec2:ReplaceNetworkAclAssociation",
                "ec2:ReplaceNetworkAclEntry",
                "ec2:ReplaceRoute",
                "ec2:ReplaceRouteTableAssociation",
                "ec2:ResetNetworkInterfaceAttribute",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:UnassignIpv6Addresses",
                "ec2:UnassignPrivateIpAddresses",
                "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
                "ec2:UpdateSecurityGroupRuleDescriptionsIngress"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonVPCReadOnlyAccess",
        path: "/",
        version: "v9",
        create_date: C2015,
        update_date: 1_708_387_200,
        description: "Provides read only access to Amazon VPC via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AmazonVPCReadOnlyActions",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeCustomerGateways",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeEgressOnlyInternetGateways",
                "ec2:DescribeFlowLogs",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeMovingAddresses",
                "ec2:DescribeNatGateways",
                "ec2:DescribeNetworkAcls",
                "ec2:DescribeNetworkInterfaceAttribute",
                "ec2:DescribeNetworkInterfacePermissions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribePrefixLists",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroupReferences",
                "ec2:DescribeSecurityGroupRules",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeStaleSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeTags",
                "ec2:DescribeVpcAttribute",
                "ec2:DescribeVpcEndpoints",
                "ec2:DescribeVpcEndpointServices",
                "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeVpcs",
                "ec2:DescribeVpnConnections",
                "ec2:DescribeVpnGateways"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AWSLambda_FullAccess",
        path: "/",
        version: "v3",
        create_date: 1_606_160_003,
        update_date: 1_645_124_321,
        description: "Grants full access to AWS Lambda service, AWS Lambda console features, and other related AWS services.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "cloudformation:DescribeStacks",
                "cloudformation:ListStackResources",
                "cloudwatch:ListMetrics",
                "cloudwatch:GetMetricData",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
                "kms:ListAliases",
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListRolePolicies",
                "iam:ListRoles",
                "lambda:*",
                "logs:DescribeLogGroups",
                "states:DescribeStateMachine",
                "states:ListStateMachines",
                "tag:GetResources",
                "xray:GetTraceSummaries",
                "xray:BatchGetTraces"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "iam:PassedToService": "lambda.amazonaws.com"
                }
            }
        },
        {
            "Effect": "Allow",
            "Action": [
                "logs:DescribeLogStreams",
                "logs:GetLogEvents",
                "logs:FilterLogEvents",
                "logs:StartLiveTail",
                "logs:StopLiveTail"
            ],
            "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AWSLambda_ReadOnlyAccess",
        path: "/",
        version: "v2",
        create_date: 1_606_160_003,
        update_date: 1_645_124_321,
        description: "Grants read-only access to AWS Lambda service, AWS Lambda console features, and other related AWS services.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "cloudformation:DescribeStacks",
                "cloudformation:ListStackResources",
                "cloudwatch:GetMetricData",
                "cloudwatch:ListMetrics",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListRolePolicies",
                "iam:ListRoles",
                "kms:ListAliases",
                "lambda:Get*",
                "lambda:List*",
                "logs:DescribeLogGroups",
                "states:DescribeStateMachine",
                "states:ListStateMachines",
                "tag:GetResources",
                "xray:GetTraceSummaries",
                "xray:BatchGetTraces"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "logs:DescribeLogStreams",
                "logs:GetLogEvents",
                "logs:FilterLogEvents"
            ],
            "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AWSLambdaBasicExecutionRole",
        path: "/service-role/",
        version: "v1",
        create_date: 1_428_361_478,
        update_date: 1_428_361_478,
        description: "Provides write permissions to CloudWatch Logs.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AWSLambdaVPCAccessExecutionRole",
        path: "/service-role/",
        version: "v3",
        create_date: 1_423_248_058,
        update_date: 1_704_067_200,
        description: "Provides minimum permissions for a Lambda function to execute while accessing a resource within a VPC - create, describe, delete network interfaces and write permissions to CloudWatch Logs.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AWSLambdaVPCAccessExecutionPermissions",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "ec2:CreateNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AWSLambdaDynamoDBExecutionRole",
        path: "/service-role/",
        version: "v1",
        create_date: C2015,
        update_date: C2015,
        description: "Provides list and read access to DynamoDB streams and write permissions to CloudWatch logs.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AWSKeyManagementServicePowerUser",
        path: "/",
        version: "v2",
        create_date: C2015,
        update_date: 1_488_931_200,
        description: "Provides access to AWS Key Management Service (KMS).",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "kms:CreateAlias",
                "kms:CreateKey",
                "kms:DeleteAlias",
                "kms:Describe*",
                "kms:GenerateRandom",
                "kms:Get*",
                "kms:List*",
                "kms:TagResource",
                "kms:UntagResource",
                "iam:ListGroups",
                "iam:ListRoles",
                "iam:ListUsers"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "CloudWatchFullAccess",
        path: "/",
        version: "v5",
        create_date: C2015,
        update_date: 1_693_333_164,
        description: "Provides full access to CloudWatch.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "autoscaling:Describe*",
                "cloudwatch:*",
                "logs:*",
                "sns:*",
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
                "iam:GetRole",
                "oam:ListSinks"
            ],
            "Effect": "Allow",
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "arn:aws:iam::*:role/aws-service-role/events.amazonaws.com/AWSServiceRoleForCloudWatchEvents*",
            "Condition": {
                "StringLike": {
                    "iam:AWSServiceName": "events.amazonaws.com"
                }
            }
        },
        {
            "Effect": "Allow",
            "Action": [
                "oam:ListAttachedLinks"
            ],
            "Resource": "arn:aws:oam:*:*:sink/*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "CloudWatchReadOnlyAccess",
        path: "/",
        version: "v12",
        create_date: C2015,
        update_date: 1_708_387_200,
        description: "Provides read only access to CloudWatch.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "CloudWatchReadOnlyAccessPermissions",
            "Effect": "Allow",
            "Action": [
                "application-autoscaling:DescribeScalingPolicies",
                "autoscaling:Describe*",
                "cloudwatch:BatchGet*",
                "cloudwatch:Describe*",
                "cloudwatch:GenerateQuery",
                "cloudwatch:Get*",
                "cloudwatch:List*",
                "logs:Get*",
                "logs:List*",
                "logs:StartQuery",
                "logs:StopQuery",
                "logs:Describe*",
                "logs:TestMetricFilter",
                "logs:FilterLogEvents",
                "logs:StartLiveTail",
                "logs:StopLiveTail",
                "oam:ListSinks",
                "sns:Get*",
                "sns:List*",
                "rum:BatchGet*",
                "rum:Get*",
                "rum:List*",
                "synthetics:Describe*",
                "synthetics:Get*",
                "synthetics:List*",
                "xray:BatchGet*",
                "xray:Get*"
            ],
            "Resource": "*"
        },
        {
            "Sid": "OAMReadPermissions",
            "Effect": "Allow",
            "Action": [
                "oam:ListAttachedLinks"
            ],
            "Resource": "arn:aws:oam:*:*:sink/*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "CloudWatchLogsFullAccess",
        path: "/",
        version: "v2",
        create_date: C2015,
        update_date: 1_701_820_800,
        description: "Provides full access to CloudWatch Logs.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "CloudWatchLogsFullAccess",
            "Effect": "Allow",
            "Action": [
                "logs:*",
                "cloudwatch:GenerateQuery"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonRoute53FullAccess",
        path: "/",
        version: "v8",
        create_date: C2015,
        update_date: 1_693_333_164,
        description: "Provides full access to all Amazon Route 53 via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "route53:*",
                "route53domains:*",
                "cloudfront:ListDistributions",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticbeanstalk:DescribeEnvironments",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetBucketWebsite",
                "ec2:DescribeVpcs",
                "ec2:DescribeVpcEndpoints",
                "ec2:DescribeRegions",
                "ec2:DescribeNetworkInterfaces",
                "sns:ListTopics",
                "sns:ListSubscriptionsByTopic",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:GetMetricStatistics"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": "apigateway:GET",
            "Resource": "arn:aws:apigateway:*::/domainnames"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonRoute53ReadOnlyAccess",
        path: "/",
        version: "v4",
        create_date: C2015,
        update_date: 1_645_124_321,
        description: "Provides read only access to all Amazon Route 53 via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowRoute53ReadOnlyAccess",
            "Effect": "Allow",
            "Action": [
                "route53:Get*",
                "route53:List*",
                "route53:TestDNSAnswer"
            ],
            "Resource": [
                "*"
            ]
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "CloudFrontFullAccess",
        path: "/",
        version: "v7",
        create_date: C2015,
        update_date: 1_693_333_164,
        description: "Provides full access to the CloudFront console plus the ability to list Amazon S3 buckets via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "cfflistbuckets",
            "Action": [
                "s3:ListAllMyBuckets"
            ],
            "Effect": "Allow",
            "Resource": "arn:aws:s3:::*"
        },
        {
            "Sid": "cffullaccess",
            "Action": [
                "acm:ListCertificates",
                "cloudfront:*",
                "cloudfront-keyvaluestore:*",
                "iam:ListServerCertificates",
                "waf:ListWebACLs",
                "waf:GetWebACL",
                "wafv2:ListWebACLs",
                "wafv2:GetWebACL",
                "kinesis:ListStreams"
            ],
            "Effect": "Allow",
            "Resource": "*"
        },
        {
            "Sid": "cffdescribestream",
            "Action": [
                "kinesis:DescribeStream"
            ],
            "Effect": "Allow",
            "Resource": "arn:aws:kinesis:*:*:*"
        },
        {
            "Sid": "cfflistroles",
            "Action": [
                "iam:ListRoles"
            ],
            "Effect": "Allow",
            "Resource": "arn:aws:iam::*:*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonRDSFullAccess",
        path: "/",
        version: "v10",
        create_date: C2015,
        update_date: 1_693_333_164,
        description: "Provides full access to Amazon RDS via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "RdsFullAccessAllowedActions",
            "Effect": "Allow",
            "Action": [
                "rds:*",
                "application-autoscaling:DeleteScalingPolicy",
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingActivities",
                "application-autoscaling:DescribeScalingPolicies",
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:RegisterScalableTarget",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:GetMetricStatistics",
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DeleteAlarms",
                "cloudwatch:ListMetrics",
                "cloudwatch:GetMetricData",
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeCoipPools",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeLocalGatewayRouteTablePermissions",
                "ec2:DescribeLocalGatewayRouteTables",
                "ec2:DescribeLocalGatewayRouteTableVpcAssociations",
                "ec2:DescribeLocalGateways",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcAttribute",
                "ec2:DescribeVpcs",
                "ec2:GetCoipPoolUsage",
                "sns:ListSubscriptions",
                "sns:ListTopics",
                "sns:Publish",
                "logs:DescribeLogStreams",
                "logs:GetLogEvents",
                "outposts:GetOutpostInstanceTypes",
                "devops-guru:GetResourceCollection"
            ],
            "Resource": "*"
        },
        {
            "Sid": "PerformanceInsightsFullAccess",
            "Effect": "Allow",
            "Action": "pi:*",
            "Resource": [
                "arn:aws:pi:*:*:metrics/rds/*",
                "arn:aws:pi:*:*:perf-reports/rds/*"
            ]
        },
        {
            "Sid": "CreateServiceLinkedRoleForRDS",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {
                "StringLike": {
                    "iam:AWSServiceName": [
                        "rds.amazonaws.com",
                        "rds.application-autoscaling.amazonaws.com"
                    ]
                }
            }
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonRDSReadOnlyAccess",
        path: "/",
        version: "v7",
        create_date: C2015,
        update_date: 1_693_333_164,
        description: "Provides read only access to Amazon RDS via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowRDSDescribe",
            "Action": [
                "rds:Describe*",
                "rds:ListTagsForResource",
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcAttribute",
                "ec2:DescribeVpcs"
            ],
            "Effect": "Allow",
            "Resource": "*"
        },
        {
            "Sid": "AllowCloudwatchDescribe",
            "Action": [
                "cloudwatch:GetMetricStatistics",
                "cloudwatch:ListMetrics",
                "cloudwatch:GetMetricData",
                "logs:DescribeLogStreams",
                "logs:GetLogEvents",
                "devops-guru:GetResourceCollection"
            ],
            "Effect": "Allow",
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "ElasticLoadBalancingFullAccess",
        path: "/",
        version: "v9",
        create_date: 1_470_355_200,
        update_date: 1_693_333_164,
        description: "Provides full access to Amazon ElasticLoadBalancing, and limited access to other services necessary to provide ElasticLoadBalancing features.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "elasticloadbalancing:*",
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
                "ec2:DescribeVpcClassicLink",
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeClassicLinkInstances",
                "ec2:DescribeRouteTables",
                "ec2:DescribeCoipPools",
                "ec2:GetCoipPoolUsage",
                "ec2:DescribeVpcPeeringConnections",
                "cognito-idp:DescribeUserPoolClient"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"
                }
            }
        },
        {
            "Effect": "Allow",
            "Action": "arc-zonal-shift:*",
            "Resource": "arn:aws:elasticloadbalancing:*:*:loadbalancer/*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "arc-zonal-shift:ListManagedResources",
                "arc-zonal-shift:ListZonalShifts"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "ElasticLoadBalancingReadOnly",
        path: "/",
        version: "v2",
        create_date: 1_535_673_600,
        update_date: 1_645_124_321,
        description: "Provides read only access to Amazon ElasticLoadBalancing and dependent services.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "elasticloadbalancing:Describe*",
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeInstances",
                "ec2:DescribeClassicLinkInstances",
                "ec2:DescribeSecurityGroups"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "arc-zonal-shift:GetManagedResource",
                "arc-zonal-shift:ListManagedResources",
                "arc-zonal-shift:ListZonalShifts"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AutoScalingFullAccess",
        path: "/",
        version: "v3",
        create_date: 1_490_140_800,
        update_date: 1_548_711_416,
        description: "Provides full access to Auto Scaling.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "autoscaling:*",
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricAlarm",
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceAttribute",
                "ec2:DescribeInstances",
                "ec2:DescribeKeyPairs",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:DescribePlacementGroups",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotInstanceRequests",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcClassicLink"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeTargetGroups"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "iam:AWSServiceName": "autoscaling.amazonaws.com"
                }
            }
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AutoScalingReadOnlyAccess",
        path: "/",
        version: "v1",
        create_date: 1_490_140_800,
        update_date: 1_490_140_800,
        description: "Provides read-only access to Auto Scaling.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "autoscaling:Describe*",
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonElasticFileSystemFullAccess",
        path: "/",
        version: "v9",
        create_date: C2015,
        update_date: 1_693_333_164,
        description: "Provides full access to Amazon EFS via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ElasticFileSystemFullAccess",
            "Effect": "Allow",
            "Action": [
                "cloudwatch:GetMetricData",
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeNetworkInterfaceAttribute",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcAttribute",
                "ec2:DescribeVpcs",
                "ec2:ModifyNetworkInterfaceAttribute",
                "elasticfilesystem:*",
                "kms:DescribeKey",
                "kms:ListAliases"
            ],
            "Resource": "*"
        },
        {
            "Sid": "CreateServiceLinkedRole",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "iam:AWSServiceName": [
                        "elasticfilesystem.amazonaws.com"
                    ]
                }
            }
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonElasticFileSystemReadOnlyAccess",
        path: "/",
        version: "v6",
        create_date: C2015,
        update_date: 1_645_124_321,
        description: "Provides read only access to Amazon EFS via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ElasticFileSystemReadOnlyAccess",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeNetworkInterfaceAttribute",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcAttribute",
                "ec2:DescribeVpcs",
                "elasticfilesystem:DescribeAccessPoints",
                "elasticfilesystem:DescribeAccountPreferences",
                "elasticfilesystem:DescribeBackupPolicy",
                "elasticfilesystem:DescribeFileSystems",
                "elasticfilesystem:DescribeFileSystemPolicy",
                "elasticfilesystem:DescribeLifecycleConfiguration",
                "elasticfilesystem:DescribeMountTargets",
                "elasticfilesystem:DescribeMountTargetSecurityGroups",
                "elasticfilesystem:DescribeReplicationConfigurations",
                "elasticfilesystem:DescribeTags",
                "elasticfilesystem:ListTagsForResource",
                "kms:ListAliases"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonGlacierFullAccess",
        path: "/",
        version: "v1",
        create_date: C2015,
        update_date: C2015,
        description: "Provides full access to Amazon Glacier via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": "glacier:*",
            "Effect": "Allow",
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonGlacierReadOnlyAccess",
        path: "/",
        version: "v2",
        create_date: C2015,
        update_date: 1_482_192_000,
        description: "Provides read only access to Amazon Glacier via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "glacier:DescribeJob",
                "glacier:DescribeVault",
                "glacier:GetDataRetrievalPolicy",
                "glacier:GetJobOutput",
                "glacier:GetVaultAccessPolicy",
                "glacier:GetVaultLock",
                "glacier:GetVaultNotifications",
                "glacier:ListJobs",
                "glacier:ListMultipartUploads",
                "glacier:ListParts",
                "glacier:ListTagsForVault",
                "glacier:ListVaults"
            ],
            "Effect": "Allow",
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AWSStorageGatewayFullAccess",
        path: "/",
        version: "v1",
        create_date: C2015,
        update_date: C2015,
        description: "Provides full access to AWS Storage Gateway via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "storagegateway:*"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeSnapshots",
                "ec2:DeleteSnapshot"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonSQSFullAccess",
        path: "/",
        version: "v2",
        create_date: C2015,
        update_date: 1_693_333_164,
        description: "Provides full access to Amazon SQS via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "SQSFullAccess",
            "Effect": "Allow",
            "Action": [
                "sqs:*"
            ],
            "Resource": "*"
        },
        {
            "Sid": "SQSFullAccessViaSSO",
            "Effect": "Allow",
            "Action": [
                "sso:ListApplications"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonSNSFullAccess",
        path: "/",
        version: "v1",
        create_date: C2015,
        update_date: C2015,
        description: "Provides full access to Amazon SNS via the AWS Management Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "sns:*"
            ],
            "Effect": "Allow",
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AWSCloudFormationFullAccess",
        path: "/",
        version: "v1",
        create_date: 1_563_148_800,
        update_date: 1_563_148_800,
        description: "Provides full access to AWS CloudFormation.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "cloudformation:*"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonSSMManagedInstanceCore",
        path: "/",
        version: "v3",
        create_date: 1_552_682_412,
        update_date: 1_680_307_200,
        description: "The policy for Amazon EC2 Role to enable AWS Systems Manager service core functionality.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "ssm:DescribeAssociation",
                "ssm:GetDeployablePatchSnapshotForInstance",
                "ssm:GetDocument",
                "ssm:DescribeDocument",
                "ssm:GetManifest",
                "ssm:GetParameter",
                "ssm:GetParameters",
                "ssm:ListAssociations",
                "ssm:ListInstanceAssociations",
                "ssm:PutInventory",
                "ssm:PutComplianceItems",
                "ssm:PutConfigurePackageResult",
                "ssm:UpdateAssociationStatus",
                "ssm:UpdateInstanceAssociationStatus",
                "ssm:UpdateInstanceInformation"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "ec2messages:AcknowledgeMessage",
                "ec2messages:DeleteMessage",
                "ec2messages:FailMessage",
                "ec2messages:GetEndpoint",
                "ec2messages:GetMessages",
                "ec2messages:SendReply"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonEC2ContainerRegistryReadOnly",
        path: "/",
        version: "v3",
        create_date: 1_450_310_400,
        update_date: 1_573_603_200,
        description: "Provides read-only access to Amazon EC2 Container Registry repositories.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "ecr:GetAuthorizationToken",
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:GetRepositoryPolicy",
                "ecr:DescribeRepositories",
                "ecr:ListImages",
                "ecr:DescribeImages",
                "ecr:BatchGetImage",
                "ecr:GetLifecyclePolicy",
                "ecr:GetLifecyclePolicyPreview",
                "ecr:ListTagsForResource",
                "ecr:DescribeImageScanFindings"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "AWSBillingReadOnlyAccess",
        path: "/",
        version: "v7",
        create_date: 1_478_798_415,
        update_date: 1_708_387_200,
        description: "Allows users to view bills on the Billing Console.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "VisualEditor0",
            "Effect": "Allow",
            "Action": [
                "account:GetAccountInformation",
                "aws-portal:View*",
                "billing:Get*",
                "billing:List*",
                "budgets:Describe*",
                "budgets:View*",
                "ce:Describe*",
                "ce:Get*",
                "ce:List*",
                "consolidatedbilling:Get*",
                "consolidatedbilling:List*",
                "cur:Describe*",
                "cur:Get*",
                "cur:Validate*",
                "freetier:Get*",
                "invoicing:Get*",
                "invoicing:List*",
                "payments:Get*",
                "payments:List*",
                "pricing:DescribeServices",
                "pricing:GetAttributeValues",
                "pricing:GetProducts",
                "tax:Get*",
                "tax:List*"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "ViewOnlyAccess",
        path: "/job-function/",
        version: "v18",
        create_date: C2016,
        update_date: 1_708_387_200,
        description: "This policy grants permissions to view resources and basic metadata across all AWS services.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ViewOnlyActions",
            "Action": [
                "acm:ListCertificates",
                "apigateway:GET",
                "autoscaling:Describe*",
                "cloudformation:DescribeStackEvents",
                "cloudformation:DescribeStackResources",
                "cloudformation:DescribeStacks",
                "cloudformation:ListStacks",
                "cloudfront:DescribeFunction",
                "cloudfront:ListDistributions",
                "cloudfront:ListFunctions",
                "cloudtrail:DescribeTrails",
                "cloudtrail:LookupEvents",
                "cloudwatch:Describe*",
                "cloudwatch:List*",
                "dynamodb:DescribeBackup",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:DescribeGlobalTable",
                "dynamodb:DescribeLimits",
                "dynamodb:DescribeStream",
                "dynamodb:DescribeTable",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:ListBackups",
                "dynamodb:ListGlobalTables",
                "dynamodb:ListStreams",
                "dynamodb:ListTables",
                "dynamodb:ListTagsOfResource",
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeBundleTasks",
                "ec2:DescribeCustomerGateways",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceStatus",
                "ec2:DescribeInstances",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeKeyPairs",
                "ec2:DescribeNatGateways",
                "ec2:DescribeNetworkAcls",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribePlacementGroups",
                "ec2:DescribeRegions",
                "ec2:DescribeReservedInstances",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSnapshots",
                "ec2:DescribeSpotInstanceRequests",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
                "ec2:DescribeTags",
                "ec2:DescribeVolumeStatus",
                "ec2:DescribeVolumes",
                "ec2:DescribeVpcEndpoints",
                "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeVpcs",
                "ec2:DescribeVpnConnections",
                "ec2:DescribeVpnGateways",
                "elasticfilesystem:DescribeFileSystems",
                "elasticfilesystem:DescribeMountTargets",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTags",
                "glacier:DescribeVault",
                "glacier:GetVaultAccessPolicy",
                "glacier:ListVaults",
                "iam:GetAccountSummary",
                "iam:GetLoginProfile",
                "iam:List*",
                "kms:ListAliases",
                "kms:ListKeys",
                "lambda:GetAccountSettings",
                "lambda:ListAliases",
                "lambda:ListEventSourceMappings",
                "lambda:ListFunctions",
                "lambda:ListLayers",
                "lightsail:GetInstances",
                "lightsail:GetRegions",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "rds:Describe*",
                "rds:ListTagsForResource",
                "route53:Get*",
                "route53:List*",
                "route53domains:CheckDomainAvailability",
                "route53domains:GetDomainDetail",
                "route53domains:GetOperationDetail",
                "route53domains:ListDomains",
                "route53domains:ListOperations",
                "route53domains:ListTagsForDomain",
                "s3:GetBucketLocation",
                "s3:GetBucketNotification",
                "s3:GetBucketTagging",
                "s3:GetLifecycleConfiguration",
                "s3:GetNotificationConfiguration",
                "s3:ListAllMyBuckets",
                "s3:ListBucket",
                "sns:ListSubscriptions",
                "sns:ListSubscriptionsByTopic",
                "sns:ListTopics",
                "sqs:ListQueues",
                "storagegateway:DescribeGatewayInformation",
                "storagegateway:ListGateways",
                "storagegateway:ListVolumes",
                "tag:GetResources"
            ],
            "Effect": "Allow",
            "Resource": "*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "DatabaseAdministrator",
        path: "/job-function/",
        version: "v3",
        create_date: C2016,
        update_date: 1_548_711_416,
        description: "Grants full access permissions to AWS services and actions required to set up and configure AWS database services.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "cloudwatch:DeleteAlarms",
                "cloudwatch:Describe*",
                "cloudwatch:DisableAlarmActions",
                "cloudwatch:EnableAlarmActions",
                "cloudwatch:Get*",
                "cloudwatch:List*",
                "cloudwatch:PutMetricAlarm",
                "datapipeline:*",
                "dynamodb:*",
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
                "elasticache:*",
                "iam:ListRoles",
                "iam:GetRole",
                "kms:ListKeys",
                "lambda:CreateEventSourceMapping",
                "lambda:CreateFunction",
                "lambda:DeleteEventSourceMapping",
                "lambda:DeleteFunction",
                "lambda:GetFunctionConfiguration",
                "lambda:ListEventSourceMappings",
                "lambda:ListFunctions",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:FilterLogEvents",
                "logs:GetLogEvents",
                "logs:Create*",
                "logs:PutLogEvents",
                "logs:PutMetricFilter",
                "rds:*",
                "redshift:*",
                "s3:CreateBucket",
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:Get*",
                "sns:List*",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:Unsubscribe"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "s3:AbortMultipartUpload",
                "s3:DeleteObject*",
                "s3:Get*",
                "s3:List*",
                "s3:PutAccelerateConfiguration",
                "s3:PutBucketTagging",
                "s3:PutBucketVersioning",
                "s3:PutBucketWebsite",
                "s3:PutLifecycleConfiguration",
                "s3:PutReplicationConfiguration",
                "s3:PutObject*",
                "s3:Replicate*",
                "s3:RestoreObject"
            ],
            "Resource": [
                "*"
            ]
        },
        {
            "Effect": "Allow",
            "Action": [
                "iam:PassRole"
            ],
            "Resource": [
                "arn:aws:iam::*:role/rds-monitoring-role",
                "arn:aws:iam::*:role/rdbms-lambda-access",
                "arn:aws:iam::*:role/lambda_exec_role",
                "arn:aws:iam::*:role/lambda-dynamodb-*",
                "arn:aws:iam::*:role/lambda-vpc-execution-role",
                "arn:aws:iam::*:role/DataPipelineDefaultRole",
                "arn:aws:iam::*:role/DataPipelineDefaultResourceRole"
            ]
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "NetworkAdministrator",
        path: "/job-function/",
        version: "v12",
        create_date: C2016,
        update_date: 1_693_333_164,
        description: "Grants full access permissions to AWS services and actions required to set up and configure AWS network resources.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "autoscaling:Describe*",
                "cloudfront:ListDistributions",
                "cloudwatch:DeleteAlarms",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:GetMetricStatistics",
                "cloudwatch:PutMetricAlarm",
                "ec2:*Address*",
                "ec2:*Gateway*",
                "ec2:*NetworkAcl*",
                "ec2:*NetworkInterface*",
                "ec2:*Route*",
                "ec2:*SecurityGroup*",
                "ec2:*Subnet*",
                "ec2:*Vpc*",
                "ec2:*Vpn*",
                "ec2:CreateTags",
                "ec2:DeleteTags",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInstances",
                "ec2:DescribeRegions",
                "ec2:DescribeTags",
                "elasticloadbalancing:*",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:GetLogEvents",
                "route53:*",
                "route53domains:*",
                "sns:CreateTopic",
                "sns:ListSubscriptionsByTopic",
                "sns:ListTopics"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "iam:GetRole",
                "iam:ListRoles",
                "iam:PassRole"
            ],
            "Resource": "arn:aws:iam::*:role/flow-logs-*"
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "SystemAdministrator",
        path: "/job-function/",
        version: "v10",
        create_date: C2016,
        update_date: 1_645_124_321,
        description: "Grants full access permissions necessary for resources required for application and development operations.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowServices",
            "Effect": "Allow",
            "Action": [
                "acm:Describe*",
                "acm:Get*",
                "acm:List*",
                "acm:Request*",
                "acm:Resend*",
                "autoscaling:*",
                "cloudtrail:DescribeTrails",
                "cloudtrail:GetTrailStatus",
                "cloudtrail:ListPublicKeys",
                "cloudtrail:ListTags",
                "cloudtrail:LookupEvents",
                "cloudtrail:StartLogging",
                "cloudtrail:StopLogging",
                "cloudwatch:*",
                "ec2:*",
                "elasticloadbalancing:*",
                "iam:GetAccount*",
                "iam:GetContextKeys*",
                "iam:GetCredentialReport",
                "iam:ListAccountAliases",
                "iam:ListGroups",
                "iam:ListOpenIDConnectProviders",
                "iam:ListPolicies",
                "iam:ListPoliciesGrantingServiceAccess",
                "iam:ListRoles",
                "iam:ListSAMLProviders",
                "iam:ListServerCertificates",
                "iam:Simulate*",
                "iam:UpdateServerCertificate",
                "iam:UploadServerCertificate",
                "kms:ListAliases",
                "lambda:*",
                "logs:*",
                "rds:*",
                "route53:*",
                "route53domains:*",
                "s3:*",
                "sns:*",
                "sqs:*",
                "tag:*"
            ],
            "Resource": "*"
        },
        {
            "Sid": "AllowPassRole",
            "Effect": "Allow",
            "Action": [
                "iam:GetRole",
                "iam:PassRole"
            ],
            "Resource": [
                "arn:aws:iam::*:role/rds-monitoring-role",
                "arn:aws:iam::*:role/ec2-sysadmin-*",
                "arn:aws:iam::*:role/ecr-sysadmin-*",
                "arn:aws:iam::*:role/lambda-sysadmin-*"
            ]
        }
    ]
}"#,
    },
    AwsManagedPolicy {
        name: "Billing",
        path: "/job-function/",
        version: "v5",
        create_date: C2016,
        update_date: 1_693_333_164,
        description: "Grants permissions for billing and cost management.",
        document: r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "VisualEditor0",
            "Effect": "Allow",
            "Action": [
                "account:GetAccountInformation",
                "aws-portal:*Billing",
                "aws-portal:*PaymentMethods",
                "aws-portal:*Usage",
                "billing:*",
                "budgets:ModifyBudget",
                "budgets:ViewBudget",
                "ce:*",
                "consolidatedbilling:*",
                "cur:*",
                "freetier:*",
                "invoicing:*",
                "payments:*",
                "pricing:*",
                "tax:*"
            ],
            "Resource": "*"
        }
    ]
}"#,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_parse_and_names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for p in all() {
            let doc: serde_json::Value =
                serde_json::from_str(p.document).unwrap_or_else(|e| panic!("{}: {e}", p.name));
            assert_eq!(doc["Version"], "2012-10-17", "{}", p.name);
            assert!(seen.insert(p.arn()), "{} twice", p.name);
            assert_eq!(p.id().len(), 21);
            assert!(p.id().starts_with("ANPA"));
            assert!(
                crate::iam::validate::policy(p.document, crate::iam::validate::PolicyKind::Managed)
                    .is_ok(),
                "{} does not validate",
                p.name
            );
        }
    }

    #[test]
    fn finds_by_arn_with_path() {
        assert_eq!(
            by_arn("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")
                .unwrap()
                .name,
            "ViewOnlyAccess"
        );
        assert!(by_arn("arn:aws:iam::aws:policy/ViewOnlyAccess").is_none());
        assert!(by_arn("arn:aws:iam::aws:policy/NoSuchPolicy").is_none());
        let power = by_arn("arn:aws:iam::aws:policy/PowerUserAccess").unwrap();
        let doc: serde_json::Value = serde_json::from_str(power.document).unwrap();
        assert_eq!(
            doc["Statement"][0]["NotAction"],
            serde_json::json!(["iam:*", "organizations:*", "account:*"])
        );
        assert_ne!(
            power.id(),
            by_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
                .unwrap()
                .id()
        );
    }
}
