//! cogsynth: synthesizes CloudFormation for browser and mobile apps on AWS IoT Core behind
//! Cognito identity pools.

pub mod lambda;
