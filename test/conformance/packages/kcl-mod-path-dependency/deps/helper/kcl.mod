[package]
name = "helper"
edition = "v0.11.0"
version = "0.0.1"
