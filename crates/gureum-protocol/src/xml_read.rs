//! XML documents into the canonical value tree, shape-driven (stub until the reader lands).
