[package]
name = "labels"
version = "0.0.1"
