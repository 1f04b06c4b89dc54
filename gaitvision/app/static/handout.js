"use strict";
const printButton = document.getElementById("print");
if (printButton) printButton.addEventListener("click", () => window.print());
