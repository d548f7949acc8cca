"""The synthetic data generator behind `senrun sample`: schools, pupils, statements and
moves for a demo, a council or England, with the planted cases and their expected outcome
(planted.csv). Deterministic: the same seed gives the same bytes."""
