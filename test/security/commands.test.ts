import { describe, expect, test } from "@jest/globals";
import { MAX_COMMANDS, parseCommands } from "../../src/core/actions.js";

/** Issue 7, class E: commands are found the way GitHub renders markdown, and a stranger's input is bounded. */
describe("commands are read as GitHub renders the comment (CommonMark)", () => {
  test.each([
    ["an indented code block (4 spaces)", "Example:\n\n    /approve security\n"],
    ["an indented code block after a blank line, tab-indented", "\n\t/approve security"],
    ["an HTML comment block", "<!--\n/approve security\n-->"],
    ["an HTML comment on one line", "<!-- /approve security -->"],
    ["an HTML block", "<div>\n/approve security\n</div>"],
    ["a fence closed mid-line does not close it", "```\nx ```\n/approve security\n```"],
    ["a list item", "- /approve security"],
    ["a lazy continuation of a quote", "> I said\n/approve security"],
    ["a setext heading", "/approve security\n---"],
  ])("not in %s", (_what, body) => {
    expect(parseCommands(body).commands).toEqual([]);
  });

  test("a command after an HTML comment block that has closed counts", () => {
    expect(parseCommands("<!-- note -->\n\n/approve security").commands).toEqual([
      { kind: "approve", personas: ["security"] },
    ]);
  });

  test("a command on the second line of a paragraph counts", () => {
    expect(parseCommands("Looks good.\n/approve security").commands).toEqual([
      { kind: "approve", personas: ["security"] },
    ]);
  });
});

describe("a stranger's comment costs bounded work (class E)", () => {
  test("a 64,000-character /approve with ten thousand personas approves nothing and says why", () => {
    const body = `/approve ${Array.from({ length: 10_731 }, (_, i) => `p${i}`).join(" ")}`;
    expect(body.length).toBeGreaterThan(64_000);
    const { commands, errors } = parseCommands(body);
    expect(commands).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.length).toBeLessThan(200);
  });

  test("at most MAX_COMMANDS commands per comment; the rest are reported, not read", () => {
    const body = Array.from({ length: 500 }, () => "/approve security").join("\n\n");
    const { commands, errors } = parseCommands(body);
    expect(commands).toHaveLength(MAX_COMMANDS);
    expect(errors).toEqual([`490 more commands ignored: at most ${MAX_COMMANDS} per comment`]);
  });

  test("a persona name that is not an id narrows: the approval approves nothing", () => {
    expect(parseCommands("/approve security <!--x-->").commands).toEqual([]);
    expect(parseCommands("/approve security,finance").commands).toEqual([
      { kind: "approve", personas: ["security", "finance"] },
    ]);
  });
});
