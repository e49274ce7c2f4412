"""Landing Kafka topics: the consumer, decoding, file names and resume points, topic incarnations."""
