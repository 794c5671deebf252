"""Amazon Athena over a CloudTrail trail in S3: the table's DDL (`ddl.py`), one query run
through boto3's athena client with its cost watched (`queries.py`), and the sync that
pushes a filter down to the table."""
