//! AWS's published service models, structure only, embedded in the binary and parsed on first use.
//!
//! `tools/extract_models.py` writes `models/<service>.json` (botocore's `service-2.json` with the
//! documentation dropped) and `models/index.json` (each service's metadata). This crate embeds
//! them; [`index`] is cheap and read at startup for routing, [`service`] parses one service's
//! full model the first time it is asked for. No I/O happens here.

mod shape;

pub use shape::{
    ErrorInfo, HttpBinding, Location, Member, Metadata, Operation, Shape, ShapeKind, ShapeRef,
    XmlNamespace,
};

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// The hasher of the model's maps: FxHash (a rotate, xor and multiply per 8 bytes). The maps
/// are fixed once parsed and looked up on every request (operations, and shapes for every
/// member encoded or decoded), so SipHash's flooding defence buys nothing here.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn write_u8(&mut self, b: u8) {
        self.write(&[b]);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by names from the models, hashed with [`FxHasher`].
pub type NameMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A whole service model: its metadata, operations and shapes.
#[derive(Debug, serde::Deserialize)]
pub struct ServiceModel {
    pub metadata: Metadata,
    pub operations: NameMap<String, Operation>,
    pub shapes: NameMap<String, Shape>,
}

impl ServiceModel {
    /// The shape a reference points at. Models are closed, so a dangling name is a bug in the
    /// extracted data; it answers `None` rather than panicking.
    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }
}

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        /// Every embedded service, by botocore name, with its model text.
        const MODELS: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../models/", $name, ".json")))),*
        ];
    };
}

embedded!(
    "sts",
    "iam",
    "s3",
    "s3control",
    "dynamodb",
    "dynamodbstreams",
    "kms",
    "lambda",
    "ec2",
    "autoscaling",
    "elbv2",
    "elb",
    "cloudwatch",
    "logs",
    "cloudfront",
    "route53",
    "rds",
    "efs",
    "glacier",
    "storagegateway",
    "lightsail",
    "ce",
    "pricing",
);

const INDEX: &str = include_str!("../models/index.json");

/// The botocore names of every embedded service.
pub fn service_names() -> impl Iterator<Item = &'static str> {
    MODELS.iter().map(|(name, _)| *name)
}

/// Each service's metadata, keyed by botocore name. Parsed once (a few kilobytes).
pub fn index() -> &'static HashMap<String, Metadata> {
    static INDEX_CELL: OnceLock<HashMap<String, Metadata>> = OnceLock::new();
    INDEX_CELL.get_or_init(|| serde_json::from_str(INDEX).expect("embedded index.json is valid"))
}

/// One service's full model, parsed the first time it is asked for.
pub fn service(name: &str) -> Option<&'static ServiceModel> {
    static CELLS: OnceLock<Vec<OnceLock<ServiceModel>>> = OnceLock::new();
    let cells = CELLS.get_or_init(|| MODELS.iter().map(|_| OnceLock::new()).collect());
    let pos = MODELS.iter().position(|(n, _)| *n == name)?;
    Some(cells[pos].get_or_init(|| {
        serde_json::from_str(MODELS[pos].1).expect("embedded service model is valid")
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_model_parses_and_is_closed() {
        for name in service_names() {
            let model = service(name).unwrap();
            assert!(!model.operations.is_empty(), "{name} has operations");
            assert!(index().contains_key(name), "{name} in index");
            for shape in model.shapes.values() {
                for r in shape.refs() {
                    assert!(
                        model.shape(&r.shape).is_some(),
                        "{name}: {} dangles",
                        r.shape
                    );
                }
            }
            for op in model.operations.values() {
                for r in op
                    .input
                    .iter()
                    .chain(op.output.iter())
                    .chain(op.errors.iter())
                {
                    assert!(
                        model.shape(&r.shape).is_some(),
                        "{name}: {} dangles",
                        r.shape
                    );
                }
            }
        }
    }

    #[test]
    fn sts_shapes_keep_member_order_and_protocol() {
        let sts = service("sts").unwrap();
        assert_eq!(sts.metadata.protocol, "query");
        let op = sts.operation("GetCallerIdentity").unwrap();
        let out = sts.shape(&op.output.as_ref().unwrap().shape).unwrap();
        let names: Vec<_> = out.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["UserId", "Account", "Arn"]);
        assert_eq!(
            op.output.as_ref().unwrap().result_wrapper.as_deref(),
            Some("GetCallerIdentityResult")
        );
    }

    #[test]
    fn cloudwatch_lists_several_protocols() {
        let cw = &index()["cloudwatch"];
        assert_eq!(cw.protocols, ["smithy-rpc-v2-cbor", "json", "query"]);
        assert_eq!(
            cw.target_prefix.as_deref(),
            Some("GraniteServiceVersion20100801")
        );
    }
}
