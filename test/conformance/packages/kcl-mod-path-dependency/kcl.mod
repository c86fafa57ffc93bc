[package]
name = "app"
edition = "v0.11.0"
version = "0.0.1"

[dependencies]
helper = { path = "deps/helper" }
