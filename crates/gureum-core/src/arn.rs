//! Amazon Resource Names: building and parsing `arn:partition:service:region:account:resource`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    pub region: String,
    pub account_id: String,
    pub resource: String,
}

impl Arn {
    pub fn new(service: &str, region: &str, account_id: &str, resource: &str) -> Self {
        Arn {
            partition: "aws".into(),
            service: service.into(),
            region: region.into(),
            account_id: account_id.into(),
            resource: resource.into(),
        }
    }

    /// Parses an ARN; the resource part may itself contain colons.
    pub fn parse(s: &str) -> Option<Arn> {
        let mut parts = s.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let partition = parts.next()?;
        let service = parts.next()?;
        let region = parts.next()?;
        let account_id = parts.next()?;
        let resource = parts.next()?;
        if partition.is_empty() || service.is_empty() {
            return None;
        }
        Some(Arn::new(service, region, account_id, resource).with_partition(partition))
    }

    fn with_partition(mut self, partition: &str) -> Self {
        self.partition = partition.into();
        self
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account_id, self.resource
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in [
            "arn:aws:iam::000000000000:root",
            "arn:aws:s3:::bucket/key:with:colons",
            "arn:aws:sts::123456789012:assumed-role/r/s",
        ] {
            assert_eq!(Arn::parse(s).unwrap().to_string(), s);
        }
        assert!(Arn::parse("arn:aws").is_none());
        assert!(Arn::parse("nope:aws:s3:::b").is_none());
    }
}
