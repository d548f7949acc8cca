"""The input layer: reading CSV, XLSX and Parquet, mapping a council's own headers, parsing
each cell (IDs, UPNs, dates, money) and the declared schema of every input. It turns files
into checked Polars frames; it knows nothing of the policy."""
