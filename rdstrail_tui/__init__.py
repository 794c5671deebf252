"""rdstrail: a terminal explorer for the AWS CloudTrail record of Amazon RDS."""

__version__ = "0.1.0"
