// The checks of understanding at the end of each chapter. book_quiz renders each question
// as HTML with its answer in a data attribute (data-answer: the right choice's index;
// data-answers: the accepted answers as JSON); this script checks what the reader gave,
// says right or wrong, and shows the explanation. It loads nothing and sends nothing.
(function () {
    "use strict";

    // Short answers compare trimmed and case-insensitively, as book_quiz::accepts does.
    function normalise(text) {
        return text.trim().toLowerCase();
    }

    function setUp(question) {
        var kind = question.getAttribute("data-kind");
        var check = question.querySelector(".quiz-check");
        var reveal = question.querySelector(".quiz-reveal");
        var feedback = question.querySelector(".quiz-feedback");
        var explain = question.querySelector(".quiz-explain");
        var choices = Array.prototype.slice.call(question.querySelectorAll(".quiz-choice"));
        var text = question.querySelector(".quiz-text");

        function say(verdict, words) {
            feedback.classList.remove("quiz-right", "quiz-wrong");
            if (verdict) {
                feedback.classList.add(verdict);
            }
            feedback.textContent = words;
            feedback.hidden = false;
        }

        function clearMarks() {
            choices.forEach(function (label) {
                label.classList.remove("quiz-chosen-right", "quiz-chosen-wrong", "quiz-the-answer");
            });
        }

        // true (right), false (wrong) or null (nothing given yet).
        function judge() {
            if (kind === "choice") {
                var picked = question.querySelector("input[type=radio]:checked");
                if (!picked) {
                    return null;
                }
                var right = picked.value === question.getAttribute("data-answer");
                picked.closest(".quiz-choice").classList.add(right ? "quiz-chosen-right" : "quiz-chosen-wrong");
                return right;
            }
            var typed = normalise(text.value);
            if (typed === "") {
                return null;
            }
            var accepted = JSON.parse(question.getAttribute("data-answers"));
            return accepted.some(function (answer) {
                return normalise(answer) === typed;
            });
        }

        check.addEventListener("click", function () {
            clearMarks();
            var verdict = judge();
            if (verdict === null) {
                say(null, kind === "choice" ? "Pick an answer first." : "Type an answer first.");
            } else if (verdict) {
                say("quiz-right", "Right.");
                explain.hidden = false;
                reveal.hidden = true;
            } else {
                say("quiz-wrong", "Not quite. Try again, or show the answer.");
                reveal.hidden = false;
            }
        });

        reveal.addEventListener("click", function () {
            clearMarks();
            if (kind === "choice") {
                var index = Number(question.getAttribute("data-answer"));
                choices[index].classList.add("quiz-the-answer");
                say(null, "The answer is marked.");
            } else {
                var accepted = JSON.parse(question.getAttribute("data-answers"));
                say(null, "The answer: " + accepted[0].trim());
            }
            explain.hidden = false;
            reveal.hidden = true;
        });

        if (text) {
            text.addEventListener("keydown", function (event) {
                if (event.key === "Enter") {
                    event.preventDefault();
                    check.click();
                }
            });
        }
    }

    function start() {
        document.querySelectorAll(".quiz-question").forEach(setUp);
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
