"""Starting on a council's own data: `senrun init` drafts a config from its spreadsheets, and
`senrun templates` writes blank input workbooks with the expected headers."""
