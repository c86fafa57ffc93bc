[package]
name = "k8s"
version = "1.31"
