//! The one integration-test binary (one link on a two-core machine).
