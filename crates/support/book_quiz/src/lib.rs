//! The book's checks of understanding.
//!
//! A chapter ends with a ```` ```quiz ```` block of TOML questions; this mdBook
//! preprocessor turns each into HTML the reader answers in the page: radio buttons or a
//! text box, a Check button, feedback, and the explanation. `book/quiz.js` and
//! `book/quiz.css` (listed in `book/book.toml`) make it work, offline.
//!
//! - `quiz`: the TOML read into questions, and the rules a quiz keeps.
//! - `markdown`: prompts, choices and explanations as escaped HTML.
//! - `render`: a quiz as HTML.
//! - `book`: finding the blocks in a chapter and the chapters in mdBook's JSON.

pub mod book;
pub mod markdown;
pub mod quiz;
pub mod render;

pub use book::{Block, Chapter, quiz_blocks, rewrite_book, rewrite_chapter};
pub use quiz::{Kind, Problem, Question, Quiz, accepts, parse};
pub use render::render;
