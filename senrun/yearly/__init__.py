"""Year on year and what-if: the diff against last year and its attribution, `simulate` and
its workbook, the multi-year run-off projection, and `explain` for the questions schools
ask. Each builds on a finished run of the policy core; none changes a rule."""
