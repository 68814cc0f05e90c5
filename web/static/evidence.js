// Progressive enhancement: show upload progress for large exhibits. Without it the form posts as usual.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-upload-progress]").forEach(function (form) {
      var bar = form.querySelector("progress");
      form.addEventListener("submit", function (event) {
        if (!window.XMLHttpRequest || !window.FormData) { return; }
        event.preventDefault();
        var request = new XMLHttpRequest();
        request.open("POST", form.action);
        bar.classList.remove("hidden");
        request.upload.addEventListener("progress", function (e) {
          if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
        });
        request.addEventListener("load", function () {
          document.open();
          document.write(request.responseText);
          document.close();
          if (request.responseURL) { window.history.replaceState(null, "", request.responseURL); }
        });
        request.addEventListener("error", function () { form.submit(); });
        request.send(new FormData(form));
      });
    });
  });
}());
