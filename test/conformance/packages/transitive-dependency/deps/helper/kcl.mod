[package]
name = "helper"
version = "0.0.1"

[dependencies]
labels = { path = "../labels" }
