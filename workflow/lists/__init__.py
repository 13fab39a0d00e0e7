"""Bulk lists (申报清单): the columns, reading an upload, the template and the result file.

``columns`` is the table of columns, ``headers`` matches a header row to it, ``cells`` reads a
cell, ``rows`` a whole row; ``parse`` reads an uploaded file, ``check`` checks its rows
against one another, ``template`` and ``result`` write the workbooks.

Pure: no database. ``store.claims.lists`` files the rows as claims.
"""
