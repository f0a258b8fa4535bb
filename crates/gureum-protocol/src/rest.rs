//! REST bindings shared by restJson1 and restXml: URI templates, labels, query strings, headers
//! (stub until the codec lands).

use crate::HttpRequest;

/// Matches a model `requestUri` template against a raw path and query; answers the decoded
/// labels when it matches.
pub fn match_uri(_template: &str, _path: &str, _query: &str) -> Option<Vec<(String, String)>> {
    None
}

/// The operation of `service` whose method and URI template match the request, the most
/// specific when several do.
pub fn find_operation(_service: &str, _req: &HttpRequest) -> Option<&'static str> {
    None
}
