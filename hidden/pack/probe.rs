//! The probe of `pack`: frames packed from random messages, compared byte for byte with
//! the reference; frames (made here, not by the student's `pack`) unpacked whole, cut
//! short, byte by byte and two at a time; and malformed frames. The first five checks are
//! the visible tests, on random inputs; the others are hidden.

use pack::{MAX_BODY, Message, pack, unpack};
use testkit::probe::{self, Case, Check, Rng};

fn main() {
    probe::main(&[
        Check::visible("the_bytes_on_the_wire_are_exactly_these", 20, packed),
        Check::visible("a_frame_unpacks_to_the_message_it_came_from", 20, unpacked),
        Check::visible(
            "a_frame_that_has_not_fully_arrived_asks_for_more",
            8,
            cut_short,
        ),
        Check::visible("two_frames_in_one_read_come_apart", 10, two_frames),
        Check::visible(
            "a_length_beyond_the_limit_is_refused_before_waiting_for_it",
            10,
            bad_length,
        ),
        Check::hidden(
            "random_messages_are_packed_as_the_layout_says",
            40,
            packed_any_name,
        ),
        Check::hidden(
            "a_stream_fed_one_byte_at_a_time_yields_every_message",
            6,
            byte_by_byte,
        ),
        Check::hidden(
            "special_floats_and_unicode_names_survive",
            12,
            special_values,
        ),
        Check::hidden("malformed_frames_are_errors", 12, malformed),
    ]);
}

/// A message with a random id, reading and name of `low` to `high` letters.
fn message(rng: &mut Rng, low: usize, high: usize) -> Message {
    Message {
        id: rng.u32(),
        reading: rng.f64(),
        name: rng.word(low, high),
    }
}

/// A message, field by field (not with the student's `Debug`, which is theirs to change).
fn shown(msg: &Message) -> String {
    format!(
        "id {} reading {:?} (bits {:#018x}) name {:?}",
        msg.id,
        msg.reading,
        msg.reading.to_bits(),
        msg.name
    )
}

/// What `unpack` returned.
fn unpacked_text(result: Result<Option<(Message, usize)>, pack::PackError>) -> String {
    probe::result(result, |found| match found {
        Some((msg, used)) => format!("Some({}, used {used})", shown(&msg)),
        None => "None".into(),
    })
}

/// The frame of `msg`, made here: the layout of the task, independent of the student's
/// `pack`.
fn frame(msg: &Message) -> Vec<u8> {
    let name = msg.name.as_bytes();
    let mut out = Vec::new();
    out.extend((13 + name.len() as u32).to_be_bytes());
    out.extend(msg.id.to_be_bytes());
    out.extend(msg.reading.to_bits().to_be_bytes());
    out.push(name.len() as u8);
    out.extend(name);
    out
}

fn packed(rng: &mut Rng) -> Case {
    let msg = message(rng, 0, 12);
    Case::new(shown(&msg), || {
        probe::result(pack(&msg), |f| probe::bytes(&f))
    })
}

fn unpacked(rng: &mut Rng) -> Case {
    let msg = message(rng, 0, 20);
    let bytes = frame(&msg);
    Case::new(probe::bytes(&bytes), || unpacked_text(unpack(&bytes)))
}

fn cut_short(rng: &mut Rng) -> Case {
    let msg = message(rng, 0, 10);
    let bytes = frame(&msg);
    Case::new(
        format!(
            "unpack of every beginning of {} (0 to {} bytes)",
            probe::bytes(&bytes),
            bytes.len() - 1
        ),
        || {
            (0..bytes.len())
                .map(|cut| format!("{cut}: {}", unpacked_text(unpack(&bytes[..cut]))))
                .collect::<Vec<_>>()
                .join(", ")
        },
    )
}

fn two_frames(rng: &mut Rng) -> Case {
    let (a, b) = (message(rng, 0, 15), message(rng, 0, 15));
    let mut stream = frame(&a);
    stream.extend(frame(&b));
    let extra = rng.range(0, 3);
    stream.extend(std::iter::repeat_n(0u8, extra));
    Case::new(
        format!(
            "unpack of {}, then of what follows the first frame",
            probe::bytes(&stream)
        ),
        || {
            let first = unpack(&stream);
            let used = match &first {
                Ok(Some((_, used))) => *used,
                _ => 0,
            };
            let first = unpacked_text(first);
            let rest = stream.get(used..).unwrap_or_default();
            format!("{first}; then {}", unpacked_text(unpack(rest)))
        },
    )
}

fn bad_length(rng: &mut Rng) -> Case {
    let length: u32 = if rng.chance(50) {
        rng.range(0, 12) as u32
    } else {
        rng.range(MAX_BODY + 1, 1 << 20) as u32
    };
    let mut bytes = length.to_be_bytes().to_vec();
    let more = rng.range(0, 6);
    bytes.extend(rng.bytes(more));
    Case::new(probe::bytes(&bytes), || unpacked_text(unpack(&bytes)))
}

fn packed_any_name(rng: &mut Rng) -> Case {
    let mut msg = message(rng, 0, 255);
    if rng.chance(20) {
        msg.name = "é☃".repeat(rng.range(1, 40));
    }
    Case::new(shown(&msg), || {
        probe::result(pack(&msg), |f| probe::bytes(&f))
    })
}

fn byte_by_byte(rng: &mut Rng) -> Case {
    let count = rng.range(2, 12);
    let messages: Vec<Message> = (0..count).map(|_| message(rng, 0, 30)).collect();
    let stream: Vec<u8> = messages.iter().flat_map(frame).collect();
    Case::new(
        format!(
            "{count} frames, {}, fed to unpack one byte at a time (each whole frame taken off \
             the front)",
            probe::bytes(&stream)
        ),
        || {
            let mut buffer = Vec::new();
            let mut out = Vec::new();
            for &b in &stream {
                buffer.push(b);
                loop {
                    match unpack(&buffer) {
                        Ok(Some((msg, used))) if (1..=buffer.len()).contains(&used) => {
                            out.push(shown(&msg));
                            buffer.drain(..used);
                        }
                        Ok(None) => break,
                        other => {
                            out.push(format!("stopped: {}", unpacked_text(other)));
                            return out.join("; ");
                        }
                    }
                }
            }
            out.push(format!("{} bytes left over", buffer.len()));
            out.join("; ")
        },
    )
}

fn special_values(rng: &mut Rng) -> Case {
    let reading = *rng.pick(&[
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MIN_POSITIVE,
        f64::MIN_POSITIVE / 8.0,
        f64::MAX,
        1e300,
        -1.5,
    ]);
    let name = rng
        .pick(&["Zürich ☃", "日本", "", "a\u{0}b", "x"])
        .repeat(rng.range(1, 3));
    let any = rng.u32();
    let msg = Message {
        id: *rng.pick(&[0, 1, u32::MAX, any]),
        reading,
        name,
    };
    Case::new(format!("pack, then unpack: {}", shown(&msg)), || {
        let packed = pack(&msg);
        let text = probe::result(packed, |f| probe::bytes(&f));
        let back = match pack(&msg) {
            Ok(f) => unpacked_text(unpack(&f)),
            Err(_) => "-".into(),
        };
        format!("{text}; unpacked: {back}")
    })
}

fn malformed(rng: &mut Rng) -> Case {
    let msg = message(rng, 3, 20);
    match rng.range(0, 3) {
        0 => {
            let mut long = message(rng, 1, 1);
            long.name = rng.word(256, 400);
            Case::new(format!("pack of {}", shown(&long)), || {
                probe::result(pack(&long), |f| probe::bytes(&f))
            })
        }
        1 => {
            let mut bytes = frame(&msg);
            let len = msg.name.len();
            bytes[16] = rng.range(len + 1, 255) as u8;
            Case::new(
                format!(
                    "unpack of {} (its name length too big)",
                    probe::bytes(&bytes)
                ),
                || unpacked_text(unpack(&bytes)),
            )
        }
        2 => {
            let mut bytes = frame(&msg);
            let len = msg.name.len();
            bytes[16] = rng.range(0, len - 1) as u8;
            Case::new(
                format!(
                    "unpack of {} (its name length too small)",
                    probe::bytes(&bytes)
                ),
                || unpacked_text(unpack(&bytes)),
            )
        }
        _ => {
            let mut bytes = frame(&msg);
            let at = 17 + rng.range(0, msg.name.len() - 1);
            bytes[at] = *rng.pick(&[0xff, 0xc3, 0x80, 0xfe]);
            Case::new(
                format!("unpack of {} (its name not UTF-8)", probe::bytes(&bytes)),
                || unpacked_text(unpack(&bytes)),
            )
        }
    }
}
