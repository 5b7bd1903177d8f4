//! End-to-end lifecycle suite.
