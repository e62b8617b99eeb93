"""行政区划 (statistical division codes) and 单位 (units): the jurisdiction every record belongs to."""
