//! Reports: grouping by interval across DST and zones, percentiles, the hold rule.
