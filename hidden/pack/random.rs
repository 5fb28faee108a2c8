//! Hidden: random messages, byte by byte, and malformed frames.

use pack::{Message, PackError, pack, unpack};
use testkit::noise;

fn random_message(seed: u64) -> Message {
    let bytes = noise(32, seed);
    let id = u32::from_be_bytes(bytes[0..4].try_into().unwrap());
    let reading = f64::from_bits(u64::from_le_bytes(bytes[4..12].try_into().unwrap()) >> 2);
    let name: String = bytes[12..12 + (bytes[12] as usize % 20)]
        .iter()
        .map(|b| char::from(b'a' + b % 26))
        .collect();
    Message { id, reading, name }
}

#[test]
fn random_messages_are_packed_as_the_layout_says() {
    for seed in 1..200 {
        let msg = random_message(seed);
        let mut expected = Vec::new();
        expected.extend((13 + msg.name.len() as u32).to_be_bytes());
        expected.extend(msg.id.to_be_bytes());
        expected.extend(msg.reading.to_bits().to_be_bytes());
        expected.push(msg.name.len() as u8);
        expected.extend(msg.name.as_bytes());
        assert_eq!(pack(&msg).unwrap(), expected, "{msg:?}");
    }
}

#[test]
fn a_stream_fed_one_byte_at_a_time_yields_every_message() {
    let messages: Vec<Message> = (1..30).map(random_message).collect();
    let stream: Vec<u8> = messages.iter().flat_map(|m| pack(m).unwrap()).collect();
    let mut buffer = Vec::new();
    let mut got = Vec::new();
    for &b in &stream {
        buffer.push(b);
        while let Some((msg, used)) = unpack(&buffer).unwrap() {
            got.push(msg);
            buffer.drain(..used);
        }
    }
    assert_eq!(got, messages);
    assert!(buffer.is_empty());
}

#[test]
fn special_floats_and_unicode_names_survive() {
    for reading in [0.0, -0.0, f64::INFINITY, f64::MIN_POSITIVE, 1e300] {
        let msg = Message {
            id: u32::MAX,
            reading,
            name: "Zürich ☃".into(),
        };
        let frame = pack(&msg).unwrap();
        let (back, _) = unpack(&frame).unwrap().unwrap();
        assert_eq!(back.reading.to_bits(), reading.to_bits());
        assert_eq!(back.name, msg.name);
    }
}

#[test]
fn malformed_frames_are_errors() {
    let name_too_long = Message {
        id: 1,
        reading: 0.0,
        name: "x".repeat(256),
    };
    assert_eq!(pack(&name_too_long), Err(PackError::NameTooLong));
    let mut frame = pack(&Message {
        id: 1,
        reading: 2.0,
        name: "abc".into(),
    })
    .unwrap();
    frame[16] = 5; // name length 5 in a body with room for 3
    assert_eq!(unpack(&frame), Err(PackError::BadNameLength));
    frame[16] = 3;
    frame[17] = 0xff;
    assert_eq!(unpack(&frame), Err(PackError::NotUtf8));
}
