"""How councils head their columns: for each input's column, the phrasings seen in census
extracts (COLLECT, SIMS, Capita One), SEN team spreadsheets and GIAS downloads. `senrun init`
compares a file's headers with these (and with senrun's own names) to propose `columns:`; reading an
input, a missing column's "did you mean" and the `unmapped_column` warning use them too."""

from __future__ import annotations

SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "schools": {
        "school_id": ("DfE Number", "DfE No", "LAEstab", "LA Estab", "LA Establishment Number", "Estab",
                      "School ID", "School Code", "DfE", "LA Estab No", "URN"),
        "school_name": ("School Name", "School", "Establishment Name", "Name", "SCHNAME"),
        "cluster_id": ("Cluster", "Cluster Code", "Cluster ID", "Cluster No", "Locality", "Partnership", "Area",
                       "Area Code"),
        "cluster_name": ("Cluster Name", "Locality Name", "Partnership Name", "Area Name"),
        "phase": ("Phase", "Phase of Education", "School Phase", "Sector"),
        "ssa": ("SSA", "School Specific Allocation", "School-specific allocation", "Notional SEN", "SSA Amount"),
        "pupils": ("Pupils", "NOR", "Number on Roll", "Pupil Numbers", "Roll", "Headcount"),
        "opened": ("Opened", "Open Date", "Date Opened", "Opening Date"),
        "closed": ("Closed", "Close Date", "Date Closed", "Closing Date"),
        "successor_id": ("Successor", "Successor ID", "Successor School", "Successor URN", "Predecessor Of"),
        "in_formula": ("In Formula", "Included", "In Cluster Formula", "Include"),
        "pupils_override": ("Pupils Override", "Agreed Pupils", "Pupil Number Override"),
        "urn": ("URN", "Unique Reference Number", "School URN"),
    },
    "census": {
        "upn": ("UPN", "Pupil UPN", "Unique Pupil Number"),
        "school_id": ("LAEstab", "LA Estab", "DfE Number", "School", "School ID", "Estab", "DfE", "Establishment",
                      "Establishment Number", "DfE No"),
        "date_of_birth": ("DOB", "Date of Birth", "Birth Date", "Birthdate"),
        "nc_year_taught": ("NCyearActual", "NC Year Actual", "NC Year", "Year Group", "National Curriculum Year",
                           "Actual NC Year"),
        "sen_provision": ("SENprovision", "SEN Provision", "SEN Status", "SEN Stage", "SEN"),
        "fsm": ("FSMeligible", "FSM", "FSM Eligible", "Free School Meals", "FSM Eligibility"),
        "enrol_status": ("EnrolStatus", "Enrol Status", "Enrolment Status", "Enrollment Status"),
    },
    "statements": {
        "upn": ("UPN", "Pupil UPN", "Unique Pupil Number", "Child UPN"),
        "date_of_birth": ("DOB", "Date of Birth", "Birth Date", "Child DOB"),
        "statement_date": ("Statement Date", "Date of Statement", "Statement Issued", "Date Issued",
                           "EHCP Date", "Plan Date", "Start Date"),
        "school_id": ("PSF School", "School", "School ID", "DfE Number", "LA Estab", "LAEstab", "Funded School",
                      "School (DfE)", "PSF School (DfE)", "Establishment", "Establishment Number", "DfE No",
                      "Setting", "School / Setting", "Setting (DfE)", "Placement", "Educational Setting"),
        "annual_amount": ("Annual PSF", "Annual Amount", "PSF Amount", "Annual Value", "Amount", "Annual Cost",
                          "PSF per year", "Annual Funding", "Yearly Amount"),
        "stream": ("Stream", "Funding Stream", "Budget", "Funding Type"),
        "ceased_date": ("Ceased", "Ceased Date", "Date Ceased", "End Date", "Ceased On", "Date Ended", "Cease Date",
                        "Date Statement Ceased", "Statement Ceased", "Cessation Date", "Date of Cessation",
                        "Plan Ceased", "Plan End Date"),
        "effective_date": ("Effective Date", "Effective From", "Date Effective", "Change Date", "Date of Change",
                           "Date Changed", "Event Date", "Date of Event", "Amendment Date"),
        "event": ("Event", "Statement Event", "Action", "Change Type", "Type of Change", "Event Type"),
    },
    "moves": {
        "upn": ("UPN", "Pupil UPN", "Unique Pupil Number"),
        "from_school_id": ("From School", "From", "Old School", "Previous School", "Leaving School",
                           "From School (DfE)"),
        "to_school_id": ("To School", "To", "New School", "Receiving School", "To School (DfE)"),
        "move_date": ("Move Date", "Date of Move", "Date Moved", "Transfer Date", "Date of Transfer", "Transfer Effective",
                      "Move Effective", "Date"),
        "reason": ("Reason", "Move Type", "Type of Move", "Move Reason", "Type"),
    },
    "links": {
        "school_id": ("URN", "School", "LAEstab", "Establishment"),
        "successor_id": ("LinkURN", "Link URN", "Successor", "Linked Establishment", "Successor URN"),
        "link_date": ("LinkEstablishedDate", "Link Established Date", "Link Date", "Date"),
        "link_type": ("LinkType", "Link Type", "Type"),
    },
}


#: Parts of a header that say an optional column which changes the money is meant, however the rest
#: is worded ("Date Statement Was Ceased"): a header holding one, left unread, is warned of
#: (`unmapped_column`), since a ceased date or a successor not read pays or ends PSF without a word.
LOOSE: dict[str, dict[str, tuple[str, ...]]] = {
    "schools": {"successor_id": ("successor",)},  # (opened, closed: GIAS's "ReasonEstablishmentClosed" is no date)
    "census": {"enrol_status": ("enrol",)},
    "statements": {"ceased_date": ("ceas", "cessation"), "effective_date": ("effective",), "stream": ("stream",)},
}


def usual_names(name: str, column: str) -> tuple[str, ...]:
    """The usual headers of input `name`'s `column` (none for a column without any)."""
    return SYNONYMS.get(name, {}).get(column, ())


def loose_parts(name: str, column: str) -> tuple[str, ...]:
    """Parts of a header (lower case, letters and digits only) that say input `name`'s `column` is meant."""
    return LOOSE.get(name, {}).get(column, ())
