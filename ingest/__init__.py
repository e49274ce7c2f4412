"""pulse: the Python shim that lands Kafka topics and extracts into the Parquet lake."""
