//! Exact bytes, round trips, and frames that arrive in pieces.

use pack::{Message, PackError, pack, unpack};
use testkit::show;

fn sample() -> Message {
    Message {
        id: 0x0102_0304,
        reading: -1.5,
        name: "t1".into(),
    }
}

#[test]
fn the_bytes_on_the_wire_are_exactly_these() {
    let frame = pack(&sample()).expect("pack");
    let expected = b"\x00\x00\x00\x0f\x01\x02\x03\x04\xbf\xf8\x00\x00\x00\x00\x00\x00\x02t1";
    assert_eq!(
        show(&frame),
        show(expected),
        "left: your frame, right: the frame expected"
    );
}

#[test]
fn a_frame_unpacks_to_the_message_it_came_from() {
    let frame = pack(&sample()).unwrap();
    assert_eq!(unpack(&frame), Ok(Some((sample(), frame.len()))));
}

#[test]
fn a_frame_that_has_not_fully_arrived_asks_for_more() {
    let frame = pack(&sample()).unwrap();
    for cut in 0..frame.len() {
        assert_eq!(
            unpack(&frame[..cut]),
            Ok(None),
            "only the first {cut} bytes arrived: \"{}\"",
            show(&frame[..cut])
        );
    }
}

#[test]
fn two_frames_in_one_read_come_apart() {
    let second = Message {
        id: 7,
        reading: 21.25,
        name: "kitchen".into(),
    };
    let mut stream = pack(&sample()).unwrap();
    stream.extend(pack(&second).unwrap());
    let (first, used) = unpack(&stream).unwrap().unwrap();
    assert_eq!(first, sample());
    let (next, rest) = unpack(&stream[used..]).unwrap().unwrap();
    assert_eq!(next, second);
    assert_eq!(used + rest, stream.len());
}

#[test]
fn a_length_beyond_the_limit_is_refused_before_waiting_for_it() {
    assert_eq!(
        unpack(b"\x00\x01\x00\x00"),
        Err(PackError::BadLength(65536))
    );
    assert_eq!(unpack(b"\x00\x00\x00\x02ab"), Err(PackError::BadLength(2)));
}
