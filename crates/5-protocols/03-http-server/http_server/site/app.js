// Fetched by the browser as a second request; if it runs, it says so on the page.
document.getElementById("script-status").textContent =
  "The script /app.js was fetched from the same server and ran.";
