/**
 * One GraphQL request for everything a reconcile reads about a pull request (src/github/snapshot.ts):
 * the pull request, the review table on its base, the app's runs on its head (and on the previous head
 * after a push), the open pull requests sharing that head, its files, reviews, comments and commits, and
 * who the app is (`viewer`: the installation's bot user, whose comments are the app's own records).
 *
 * Ids: comments' and reviews' `fullDatabaseId` (a BigInt: their `databaseId` is a 32-bit Int that GitHub's
 * ids outgrew); a check run has no such field, so its REST id is read from its `resourcePath`
 * (`/{owner}/{repo}/runs/{id}`).
 *
 * Lists come in pages of 100: a longer list (or a renamed file, whose old path GraphQL does not give) is
 * read again over REST. Validated against GitHub's published schema in test/github/snapshot.test.ts.
 */
import { ownRunsFragment } from "./own-runs.js";
import { teamFields, teamParameters } from "./teams.js";

const TEAM_PARAMETERS = "#team-parameters";
const TEAM_FIELDS = "#team-fields";

const DOCUMENT = /* GraphQL */ `
  query PullSnapshot(
    $owner: String!
    $repo: String!
    $number: Int!
    $appId: Int!
    $previous: GitObjectID!
    $hasPrevious: Boolean!
    ${TEAM_PARAMETERS}
  ) {
    ${TEAM_FIELDS}
    viewer {
      login
      databaseId
    }
    repository(owner: $owner, name: $repo) {
      id
      nameWithOwner
      owner {
        __typename
      }
      defaultBranchRef {
        name
      }
      previous: object(oid: $previous) @include(if: $hasPrevious) {
        ... on Commit {
          ...OwnRuns
        }
      }
      pullRequest(number: $number) {
        id
        number
        state
        merged
        isDraft
        createdAt
        changedFiles
        headRefOid
        baseRefName
        baseRefOid
        mergeQueueEntry {
          headCommit {
            oid
          }
        }
        author {
          ...Person
        }
        reviewRequests(first: 100) {
          nodes {
            requestedReviewer {
              __typename
              ... on User {
                login
              }
              ... on Team {
                slug
              }
            }
          }
        }
        baseRef {
          target {
            ... on Commit {
              oid
              dotGithub: file(path: ".github/reviewers.yml") {
                ...TableFile
              }
              root: file(path: "reviewers.yml") {
                ...TableFile
              }
            }
          }
        }
        head: commits(last: 1) {
          nodes {
            commit {
              oid
              ...OwnRuns
              associatedPullRequests(first: 20) {
                pageInfo {
                  hasNextPage
                }
                nodes {
                  number
                  state
                  headRefOid
                  baseRepository {
                    nameWithOwner
                  }
                }
              }
            }
          }
        }
        files(first: 100) {
          totalCount
          pageInfo {
            hasNextPage
          }
          nodes {
            path
            changeType
          }
        }
        reviews(first: 100) {
          totalCount
          pageInfo {
            hasNextPage
          }
          nodes {
            fullDatabaseId
            author {
              ...Person
            }
            state
            body
            commit {
              oid
            }
            submittedAt
          }
        }
        comments(first: 100) {
          totalCount
          pageInfo {
            hasNextPage
          }
          nodes {
            fullDatabaseId
            author {
              ...Person
            }
            body
            createdAt
            updatedAt
          }
        }
        forcePushes: timelineItems(last: 100, itemTypes: [HEAD_REF_FORCE_PUSHED_EVENT]) {
          totalCount
          nodes {
            ... on HeadRefForcePushedEvent {
              createdAt
            }
          }
        }
        commits(last: 100) {
          totalCount
          nodes {
            commit {
              oid
              author {
                user {
                  login
                }
              }
              committer {
                user {
                  login
                }
              }
            }
          }
        }
      }
    }
  }

  fragment Person on Actor {
    __typename
    login
    ... on User {
      databaseId
    }
    ... on Bot {
      databaseId
    }
    ... on Mannequin {
      databaseId
    }
  }

  fragment TableFile on TreeEntry {
    path
    object {
      ... on Blob {
        text
        isTruncated
        isBinary
      }
    }
  }

  ${ownRunsFragment("OwnRuns", "checkType: ALL")}
`;

/**
 * The document as sent: whitespace runs collapsed (it has no string literal with more than one space in a
 * row), which halves the bytes every reconcile sends and GitHub parses.
 */
const documents = new Map<number, string>();

export const SNAPSHOT_QUERY = snapshotQuery(0);

/**
 * The snapshot with the members of `teams` teams listed too (`m<i>`, variables `$o<i>`/`$s<i>`: src/github/teams.ts),
 * for the first read of a reconcile that may carry an approval and for the read that confirms a decision to
 * pass: the membership look-ups they would make afresh ride in them instead of a request of their own after.
 */
export function snapshotQuery(teams: number): string {
  let query = documents.get(teams);
  if (query === undefined) {
    query = DOCUMENT.replace(TEAM_PARAMETERS, teamParameters(teams).join(" "))
      .replace(TEAM_FIELDS, teamFields(teams))
      .replace(/\s+/g, " ")
      .trim();
    documents.set(teams, query);
  }
  return query;
}
