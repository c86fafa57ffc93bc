[package]
name = "relative_imports"
version = "0.0.1"
