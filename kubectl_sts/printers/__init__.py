"""Output: kubectl's printers (`-o json|yaml|name|jsonpath=|custom-columns=`, `--no-headers`,
`--sort-by`) and plain-text tables in kubectl's tabwriter style, over the documents and rows
the core computes."""
