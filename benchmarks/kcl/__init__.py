"""The KCL side of the benchmark: the same stacks, schemas and policies written as KCL."""
