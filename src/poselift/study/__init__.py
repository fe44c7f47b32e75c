"""The study: parameters, budgets, the paper's tables, the precision-time rate, figures and the report text."""
