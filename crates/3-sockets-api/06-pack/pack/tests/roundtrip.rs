//! pack's formats round-trip exactly, its framing survives any split, over TCP too.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use pack::chat::{self, ChatDecoder, ChatError, ChatPacket};
use pack::{Deframer, PackError, Packer, Unpacker, Value, frame, pack, unpack};
use testkit::PATIENCE;

#[test]
fn every_integer_edge_value_round_trips_in_network_byte_order() {
    let u64s = [
        0,
        1,
        0x7f,
        0x80,
        0xff,
        0x100,
        0x7fff,
        0x8000,
        0xffff,
        0x1_0000,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0x1_0000_0000,
        u64::MAX / 2,
        u64::MAX / 2 + 1,
        u64::MAX - 1,
        u64::MAX,
    ];
    for &v in &u64s {
        let bytes = Packer::new()
            .u64(v)
            .i64(v as i64)
            .u32(v as u32)
            .i32(v as i32)
            .u16(v as u16)
            .i16(v as i16)
            .u8(v as u8)
            .i8(v as i8)
            .finish();
        assert_eq!(bytes.len(), 8 + 8 + 4 + 4 + 2 + 2 + 1 + 1);
        // Big-endian, spelled out: the most significant byte comes first.
        assert_eq!(
            bytes[..8],
            [
                (v >> 56) as u8,
                (v >> 48) as u8,
                (v >> 40) as u8,
                (v >> 32) as u8,
                (v >> 24) as u8,
                (v >> 16) as u8,
                (v >> 8) as u8,
                v as u8
            ]
        );
        let mut u = Unpacker::new(&bytes);
        assert_eq!(u.u64().unwrap(), v);
        assert_eq!(u.i64().unwrap(), v as i64);
        assert_eq!(u.u32().unwrap(), v as u32);
        assert_eq!(u.i32().unwrap(), v as i32);
        assert_eq!(u.u16().unwrap(), v as u16);
        assert_eq!(u.i16().unwrap(), v as i16);
        assert_eq!(u.u8().unwrap(), v as u8);
        assert_eq!(u.i8().unwrap(), v as i8);
        assert!(u.rest().is_empty());
    }
    // Every 8-bit and every 16-bit value, exhaustively.
    for v in 0..=u16::MAX {
        let bytes = Packer::new().u16(v).i16(v as i16).finish();
        assert_eq!(bytes, [(v >> 8) as u8, v as u8, (v >> 8) as u8, v as u8]);
        let mut u = Unpacker::new(&bytes);
        assert_eq!((u.u16().unwrap(), u.i16().unwrap()), (v, v as i16));
    }
    for v in i8::MIN..=i8::MAX {
        assert_eq!(
            Unpacker::new(&Packer::new().i8(v).finish()).i8().unwrap(),
            v
        );
    }
    assert_eq!(Packer::new().i32(-5).finish(), [0xff, 0xff, 0xff, 0xfb]);
    assert_eq!(Packer::new().u32(0x0102_0304).finish(), [1, 2, 3, 4]);
}

#[test]
fn floats_round_trip_bit_for_bit() {
    let f64s = [
        0.0,
        -0.0,
        1.0,
        -3490.6677,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        f64::from_bits(1),
        f64::INFINITY,
        f64::NEG_INFINITY,
        std::f64::consts::PI,
    ];
    for v in f64s {
        let bytes = Packer::new().f64(v).finish();
        assert_eq!(bytes, v.to_bits().to_be_bytes());
        assert_eq!(Unpacker::new(&bytes).f64().unwrap().to_bits(), v.to_bits());
    }
    let f32s = [
        0.0f32,
        -0.0,
        1.5,
        f32::MAX,
        f32::MIN_POSITIVE,
        f32::from_bits(1),
        f32::INFINITY,
        -2.5e-3,
    ];
    for v in f32s {
        let bytes = Packer::new().f32(v).finish();
        assert_eq!(bytes, v.to_bits().to_be_bytes());
        assert_eq!(Unpacker::new(&bytes).f32().unwrap().to_bits(), v.to_bits());
    }
    assert!(
        Unpacker::new(&Packer::new().f64(f64::NAN).finish())
            .f64()
            .unwrap()
            .is_nan()
    );
    // Half precision keeps 11 significant bits: 1/3 comes back rounded.
    let third = Unpacker::new(&Packer::new().f16(1.0 / 3.0).finish())
        .f16()
        .unwrap();
    assert_eq!(third, 0.33325195);
    assert_eq!(Packer::new().f16(1.0).finish(), [0x3c, 0x00]);
}

#[test]
fn strings_carry_their_length_and_must_fit_it() {
    for s in ["", "a", "héllo wörld", &"x".repeat(65_535)] {
        let bytes = Packer::new().str(s).unwrap().finish();
        assert_eq!(bytes[..2], (s.len() as u16).to_be_bytes());
        assert_eq!(Unpacker::new(&bytes).str().unwrap(), s);
    }
    assert_eq!(
        Packer::new().str(&"x".repeat(65_536)).err(),
        Some(PackError::StringTooLong(65_536))
    );
    assert_eq!(
        Unpacker::new(&[0, 5, b'a', b'b']).str(),
        Err(PackError::Short { wanted: 5, left: 2 })
    );
    assert_eq!(Unpacker::new(&[0, 1, 0xff]).str(), Err(PackError::NotUtf8));
}

#[test]
fn the_format_string_api_round_trips_and_rejects_mismatches() {
    let values = vec![
        Value::I8(-128),
        Value::U8(255),
        Value::I16(-32768),
        Value::U16(65535),
        Value::I32(i32::MIN),
        Value::U32(u32::MAX),
        Value::I64(i64::MIN),
        Value::U64(u64::MAX),
        Value::F16(-2.0),
        Value::F32(f32::MIN_POSITIVE),
        Value::F64(-3490.6677),
        Value::Str("zot".into()),
    ];
    let bytes = pack("cChHlLqQfdgs", &values).unwrap();
    assert_eq!(
        bytes.len(),
        1 + 1 + 2 + 2 + 4 + 4 + 8 + 8 + 2 + 4 + 8 + 2 + 3
    );
    assert_eq!(
        unpack("cChHlLqQfdgs", &bytes).unwrap(),
        (values, bytes.len())
    );
    assert!(matches!(
        pack("h", &[Value::U16(1)]),
        Err(PackError::Mismatch(_))
    ));
    assert!(matches!(
        pack("hh", &[Value::I16(1)]),
        Err(PackError::Mismatch(_))
    ));
    assert_eq!(pack("z", &[Value::U8(1)]), Err(PackError::BadFormat('z')));
    assert_eq!(unpack("z", &[1]), Err(PackError::BadFormat('z')));
    // Every prefix of a valid message is "too short", never a panic or a wrong value.
    for cut in 0..bytes.len() {
        assert!(
            matches!(
                unpack("cChHlLqQfdgs", &bytes[..cut]),
                Err(PackError::Short { .. })
            ),
            "cut at {cut}"
        );
    }
}

#[test]
fn unpack_says_how_many_bytes_it_used_and_leaves_the_rest() {
    // Two values, then the start of the next message: only the first three bytes are used.
    let bytes = [0x01, 0x02, 0x03, 0xaa, 0xbb];
    assert_eq!(
        unpack("HC", &bytes).unwrap(),
        (vec![Value::U16(0x0102), Value::U8(3)], 3)
    );
    let mut u = Unpacker::new(&bytes);
    assert_eq!(u.u16().unwrap(), 0x0102);
    assert_eq!(u.rest(), &[0x03, 0xaa, 0xbb]);
    assert_eq!(unpack("", &bytes).unwrap(), (vec![], 0));
}

#[test]
fn every_error_says_what_went_wrong_in_words() {
    let cases = [
        (
            PackError::Short { wanted: 4, left: 1 },
            "input ends early: wanted 4 more bytes, 1 left",
        ),
        (
            PackError::StringTooLong(70000),
            "a 70000-byte string does not fit a 16-bit length",
        ),
        (PackError::NotUtf8, "a string is not UTF-8"),
        (PackError::BadFormat('z'), "unknown format letter 'z'"),
        (
            PackError::Mismatch("1 letters, 2 values".into()),
            "values do not match the format: 1 letters, 2 values",
        ),
        (
            PackError::FrameTooLarge {
                announced: 5000,
                limit: 100,
            },
            "a frame of 5000 bytes is over the limit of 100",
        ),
    ];
    for (error, words) in cases {
        assert_eq!(error.to_string(), words);
    }
}

fn messages() -> Vec<Vec<u8>> {
    vec![
        b"".to_vec(),
        b"hello".to_vec(),
        vec![0; 300],
        (0..=255).collect(),
        b"last".to_vec(),
    ]
}

#[test]
fn framing_survives_every_split_of_the_stream() {
    let stream: Vec<u8> = messages().iter().flat_map(|m| frame(m)).collect();
    // One byte at a time.
    let mut deframer = Deframer::new(1024);
    let mut got = Vec::new();
    for byte in &stream {
        deframer.push(std::slice::from_ref(byte));
        while let Some(frame) = deframer.next_frame().unwrap() {
            got.push(frame);
        }
    }
    assert_eq!(got, messages());
    assert_eq!(deframer.pending(), 0);
    // Cut in two at every possible place.
    for cut in 0..=stream.len() {
        let mut deframer = Deframer::new(1024);
        let mut got = Vec::new();
        for part in [&stream[..cut], &stream[cut..]] {
            deframer.push(part);
            while let Some(frame) = deframer.next_frame().unwrap() {
                got.push(frame);
            }
        }
        assert_eq!(got, messages(), "cut at {cut}");
    }
}

#[test]
fn a_frame_over_the_limit_is_an_error_before_it_is_buffered() {
    let mut deframer = Deframer::new(100);
    deframer.push(&[0xff, 0xff, 0xff, 0xff]);
    assert_eq!(
        deframer.next_frame(),
        Err(PackError::FrameTooLarge {
            announced: u32::MAX as u64,
            limit: 100
        })
    );
}

#[test]
fn a_frame_of_exactly_the_limit_is_accepted_and_one_byte_more_is_not() {
    let mut deframer = Deframer::new(5);
    deframer.push(&frame(b"12345"));
    assert_eq!(deframer.next_frame(), Ok(Some(b"12345".to_vec())));
    deframer.push(&frame(b"123456"));
    assert_eq!(
        deframer.next_frame(),
        Err(PackError::FrameTooLarge {
            announced: 6,
            limit: 5
        })
    );
}

#[test]
fn pending_counts_the_bytes_of_a_frame_still_arriving() {
    let mut deframer = Deframer::new(100);
    let whole = frame(b"hello");
    deframer.push(&whole[..2]);
    assert_eq!((deframer.next_frame(), deframer.pending()), (Ok(None), 2));
    deframer.push(&whole[2..6]);
    assert_eq!((deframer.next_frame(), deframer.pending()), (Ok(None), 6));
    // The rest of it and the first byte of the next frame: that byte stays.
    deframer.push(&whole[6..]);
    deframer.push(&[0]);
    assert_eq!(deframer.next_frame(), Ok(Some(b"hello".to_vec())));
    assert_eq!(deframer.pending(), 1);
}

#[test]
fn frames_sent_one_byte_per_tcp_segment_arrive_whole() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let sender = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_nodelay(true).unwrap(); // no Nagle: each write leaves as its own segment
        for message in messages() {
            for byte in frame(&message) {
                conn.write_all(&[byte]).unwrap();
            }
        }
    });
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut deframer = Deframer::new(1024);
    let mut got = Vec::new();
    let mut buf = [0u8; 7]; // a small buffer cuts the stream in yet other places
    loop {
        let n = conn.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        deframer.push(&buf[..n]);
        while let Some(frame) = deframer.next_frame().unwrap() {
            got.push(frame);
        }
    }
    sender.join().unwrap();
    assert_eq!(got, messages());
}

#[test]
fn the_chat_packet_matches_the_guide_and_reassembles_from_single_bytes() {
    let packet = chat::encode("tom", b"Hi").unwrap();
    assert_eq!(packet, [0x0a, 0x74, 0x6f, 0x6d, 0, 0, 0, 0, 0, 0x48, 0x69]);
    let longest = chat::encode("benjamin", &[b'x'; 128]).unwrap();
    assert_eq!((longest.len(), longest[0]), (137, 136));
    assert_eq!(
        chat::encode("benjamins", b""),
        Err(ChatError::NameTooLong(9))
    );
    assert_eq!(
        chat::encode("tom", &[0; 129]),
        Err(ChatError::TextTooLong(129))
    );

    let stream = [packet.clone(), chat::encode("", b"").unwrap(), longest].concat();
    let mut decoder = ChatDecoder::new();
    let mut got = Vec::new();
    for byte in &stream {
        decoder.push(std::slice::from_ref(byte));
        while let Some(p) = decoder.next_packet().unwrap() {
            got.push(p);
        }
    }
    assert_eq!(
        got,
        [
            ChatPacket {
                name: "tom".into(),
                text: b"Hi".to_vec()
            },
            ChatPacket {
                name: "".into(),
                text: vec![]
            },
            ChatPacket {
                name: "benjamin".into(),
                text: vec![b'x'; 128]
            },
        ]
    );
    for bad in [0u8, 7, 137, 255] {
        let mut decoder = ChatDecoder::new();
        decoder.push(&[bad]);
        assert_eq!(decoder.next_packet(), Err(ChatError::BadLength(bad)));
    }
}

#[test]
fn the_decoders_survive_nasty_and_random_inputs() {
    let nasty: &[&[u8]] = &[
        b"",
        &[0xff; 64],
        &[0, 0xff, 0xff],
        &[0, 0, 0, 0],
        &[0x88; 300],
        &[5, 0, 0, 0, 1],
    ];
    for input in nasty {
        pack::fuzz_one_input(input);
    }
    for seed in 1..3000u64 {
        pack::fuzz_one_input(&testkit::noise((seed % 400) as usize, seed));
    }
}
