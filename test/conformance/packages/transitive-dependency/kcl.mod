[package]
name = "app"
version = "0.0.1"

[dependencies]
helper = { path = "deps/helper" }
