"""Network model: schema, frozen records, reading and validation, graph."""
