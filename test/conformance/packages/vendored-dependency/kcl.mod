[package]
name = "vendored"
version = "0.0.1"

[dependencies]
k8s = "1.31"
