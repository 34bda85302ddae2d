// The panel's only script: copy buttons, live output over Server-Sent Events, and keeping open
// <details> open when htmx swaps in a fresh copy of a polled part of the page.
(function () {
  "use strict";

  // The stream outlives the polled element showing it: each swap brings a new #live-output,
  // which is refilled from `text` while the same step runs.
  let source = null;
  let streamUrl = null;
  let text = "";

  function show(output) {
    const stuck = output.scrollHeight - output.scrollTop - output.clientHeight < 40;
    output.textContent = text;
    if (stuck) output.scrollTop = output.scrollHeight;
  }

  function stopStream() {
    if (source) source.close();
    source = null;
    streamUrl = null;
  }

  function attachLiveOutput() {
    const output = document.getElementById("live-output");
    const url = output && output.dataset.streamUrl;
    if (!url) return stopStream();
    if (url === streamUrl) return show(output);
    stopStream();
    streamUrl = url;
    text = output.textContent;
    source = new EventSource(url);
    const update = (replace) => (event) => {
      text = replace ? JSON.parse(event.data) : text + JSON.parse(event.data);
      const current = document.getElementById("live-output");
      if (current) show(current);
    };
    source.addEventListener("snapshot", update(true));
    source.addEventListener("output", update(false));
    source.addEventListener("end", () => source && source.close());
  }

  let openDetails = [];
  document.addEventListener("htmx:beforeSwap", () => {
    openDetails = [...document.querySelectorAll("details[open][id]")].map((d) => d.id);
  });
  document.addEventListener("htmx:afterSettle", () => {
    openDetails.forEach((id) => document.getElementById(id)?.setAttribute("open", ""));
    attachLiveOutput();
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-copy-target]");
    if (!button) return;
    const target = document.getElementById(button.dataset.copyTarget);
    const copied = () => {
      button.textContent = "Copied";
      setTimeout(() => (button.textContent = "Copy"), 2000);
    };
    // The Clipboard API exists only on https and localhost; elsewhere select the text and copy it.
    if (navigator.clipboard) return navigator.clipboard.writeText(target.textContent.trim()).then(copied);
    window.getSelection().selectAllChildren(target);
    if (document.execCommand("copy")) copied();
  });

  document.addEventListener("DOMContentLoaded", attachLiveOutput);
})();
