"""Bulk lists (申报清单): the columns, reading an upload, the template and the result file.

Pure: no database. ``store.claims.lists`` files the rows as claims.
"""
