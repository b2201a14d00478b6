"""UN/EDIFACT input: reading interchanges safely and mapping PAXLST onto the message models."""
