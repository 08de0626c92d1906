#!/usr/bin/python3
"""Drive confluent-kafka-python (librdkafka) against the fake broker.

Run with Debian's /usr/bin/python3 (the only interpreter that sees the
python3-confluent-kafka package).  Usage: drive_confluent_kafka.py PORT
"""

import sys

from confluent_kafka import Consumer, Producer, TopicPartition

TOPIC = "golden"
KEY = b"k1"
VALUE = b"hello golden"
HEADERS = [("h1", b"v1")]


def main():
    bootstrap = "127.0.0.1:%s" % sys.argv[1]

    delivered = []
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "socket.timeout.ms": 10000,
        "message.timeout.ms": 10000,
    })
    producer.produce(TOPIC, value=VALUE, key=KEY, headers=HEADERS,
                     on_delivery=lambda err, msg: delivered.append((err, msg)))
    remaining = producer.flush(15)
    if remaining or not delivered or delivered[0][0] is not None:
        sys.exit("produce failed: remaining=%d delivered=%r" % (remaining, delivered))
    print("produced at offset %d" % delivered[0][1].offset())

    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "golden-group",
        "socket.timeout.ms": 10000,
        "session.timeout.ms": 10000,
    })
    consumer.assign([TopicPartition(TOPIC, 0, 0)])
    got = None
    for _ in range(20):
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            got = msg
            break
    consumer.close()
    if got is None:
        sys.exit("consume failed: no message")
    print("consumed key=%r value=%r headers=%r offset=%d" % (
        got.key(), got.value(), got.headers(), got.offset()))

    # A subscribing consumer exercises the group protocol (JoinGroup,
    # SyncGroup, OffsetFetch, Heartbeat, LeaveGroup).
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "golden-group",
        "auto.offset.reset": "earliest",
        "socket.timeout.ms": 10000,
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 1000,
    })
    consumer.subscribe([TOPIC])
    got = None
    for _ in range(30):
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            got = msg
            break
    # Stay a little longer so that at least one Heartbeat goes out.
    for _ in range(3):
        consumer.poll(0.5)
    consumer.close()
    if got is None:
        sys.exit("group consume failed: no message")
    print("group consumed key=%r value=%r offset=%d" % (
        got.key(), got.value(), got.offset()))


if __name__ == "__main__":
    main()
