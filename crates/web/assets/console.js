// Copy buttons: the only script of the console. Pages work without it (the values are in plain,
// selectable fields), so the buttons stay hidden until this runs.
"use strict";
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var target = document.getElementById(button.getAttribute("data-copy"));
  if (!target || !navigator.clipboard) {
    return;
  }
  button.hidden = false;
  // Only the visible word changes: replacing the button's whole text would drop the
  // screen-reader-only words after it and show them.
  var word = button.firstChild;
  var label = word.nodeValue;
  button.addEventListener("click", function () {
    var text = "value" in target ? target.value : target.textContent;
    navigator.clipboard.writeText(text).then(function () {
      word.nodeValue = "Copied";
      setTimeout(function () { word.nodeValue = label; }, 2000);
    }, function () {
      target.select && target.select();
    });
  });
});
