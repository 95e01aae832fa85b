"""Writes an Excel 97-2003 workbook (BIFF8, .xls) for the spreadsheet tests, with xlwt
(Debian's python3-xlwt, which `make setup` installs): two sheets, text with leading zeros,
numbers, a date, a boolean and a merged cell.

    /usr/bin/python3 make_xls.py OUT.xls
"""
import datetime
import sys

import xlwt

book = xlwt.Workbook(encoding="utf-8")
people = book.add_sheet("People")
for column, name in enumerate(["Name", "Zip", "Joined", "Score", "Active"]):
    people.write(0, column, name)
date = xlwt.easyxf(num_format_str="DD/MM/YYYY")
people.write(1, 0, "Zoë")
people.write(1, 1, "01234")
people.write(1, 2, datetime.date(2024, 3, 5), date)
people.write(1, 3, 0.1 + 0.2)
people.write(1, 4, True)
people.write(2, 0, "Bob")
people.write(2, 1, "00077")
people.write(2, 3, 42)
people.write_merge(3, 3, 0, 1, "Merged Co")
notes = book.add_sheet("Notes")
notes.write(0, 0, "note")
notes.write(1, 0, "first")
book.save(sys.argv[1])
