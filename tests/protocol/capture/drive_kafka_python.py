#!/usr/bin/python3
"""Drive kafka-python 2.0.2 against the fake broker.

Run with Debian's /usr/bin/python3 (python3-kafka).  Usage:
drive_kafka_python.py PORT
"""

import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

TOPIC = "golden"
KEY = b"k1"
VALUE = b"hello golden"
HEADERS = [("h1", b"v1")]


def main():
    bootstrap = "127.0.0.1:%s" % sys.argv[1]

    producer = KafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    meta = producer.send(TOPIC, value=VALUE, key=KEY, headers=HEADERS,
                         partition=0).get(timeout=15)
    producer.flush(timeout=15)
    producer.close(timeout=5)
    print("produced at offset %d" % meta.offset)

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                             auto_offset_reset="earliest",
                             enable_auto_commit=False,
                             request_timeout_ms=15000,
                             consumer_timeout_ms=10000)
    consumer.assign([TopicPartition(TOPIC, 0)])
    got = None
    for _ in range(20):
        records = consumer.poll(timeout_ms=500)
        for recs in records.values():
            if recs:
                got = recs[0]
                break
        if got:
            break
    consumer.close()
    if got is None:
        sys.exit("consume failed: no message")
    print("consumed key=%r value=%r headers=%r offset=%d" % (
        got.key, got.value, got.headers, got.offset))

    # A subscribing consumer exercises the group protocol (FindCoordinator,
    # JoinGroup, SyncGroup, OffsetFetch, OffsetCommit, Heartbeat, LeaveGroup).
    consumer = KafkaConsumer(TOPIC, bootstrap_servers=bootstrap,
                             group_id="golden-group",
                             auto_offset_reset="earliest",
                             heartbeat_interval_ms=500,
                             request_timeout_ms=15000)
    got = None
    for _ in range(30):
        records = consumer.poll(timeout_ms=500)
        for recs in records.values():
            if recs:
                got = recs[0]
                break
        if got:
            break
    # Stay a little longer so that at least one Heartbeat goes out.
    for _ in range(3):
        consumer.poll(timeout_ms=500)
    consumer.commit()
    consumer.close()
    if got is None:
        sys.exit("group consume failed: no message")
    print("group consumed key=%r value=%r offset=%d" % (
        got.key, got.value, got.offset))


if __name__ == "__main__":
    main()
