import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Static, Type } from '@sinclair/typebox'
import { MAX_MATCHES, sphereFeedback, sphereMatches } from '../../commands/match.js'
import {
  peers,
  share,
  sharesList,
  sphereCreate,
  sphereFeed,
  sphereInvite,
  sphereJoin,
  sphereLeave,
  sphereList,
  sphereMembers,
  spherePost,
  sphereRemove,
  sphereRotate,
  unshare
} from '../../commands/sphere.js'
import { CosmicError } from '../../errors.js'
import { type ApiContext, defined } from '../context.js'
import { EntryId, TimeText } from '../schemas.js'

const HOUR = 60 * 60 * 1000
const DAY = 24 * HOUR

const SphereRef = Type.String({
  minLength: 1,
  maxLength: 200,
  description: "a sphere's key, a unique prefix of it (4 or more hex characters), or its name"
})

const SphereParams = Type.Object({ sphere: SphereRef }, { additionalProperties: false })

const ItemId = Type.String({
  pattern: '^[0-9a-f]{64}$',
  description: 'the id of a post or share in the sphere (64 lower-case hex characters, from the feed)'
})

/** Where a sphere's key stands on this device (docs/spheres.md, "Removal and leaving"). */
const KeyStateFields = {
  epoch: Type.Integer({
    description: "the newest epoch of the sphere's key this device holds: 0 until it is first rotated"
  }),
  rotated: Type.Union([Type.Integer(), Type.Null()], { description: 'when that epoch began (ms), null for epoch 0' }),
  pending: Type.Boolean({
    description: 'this device holds the newest key and waits for a member to admit it into that epoch'
  }),
  leftBehind: Type.Boolean({ description: 'the sphere moved to a new key without this home (it was removed)' })
}

const SphereJson = Type.Object(
  {
    key: Type.String(),
    name: Type.String(),
    role: Type.Union([Type.Literal('creator'), Type.Literal('member')]),
    joined: Type.Integer(),
    members: Type.Integer(),
    items: Type.Integer(),
    writable: Type.Boolean({ description: 'false once this device was removed or left, or while it waits (pending)' }),
    openInvites: Type.Integer(),
    ...KeyStateFields,
    keyProblem: Type.Union([Type.String(), Type.Null()], {
      description: 'why this device could not follow the newest key or act on it (CODE: detail), if it could not'
    })
  },
  { description: 'a sphere this home is in' }
)

const MemberJson = Type.Object({
  member: Type.String({ description: 'their identity key' }),
  name: Type.String(),
  admin: Type.Boolean(),
  writers: Type.Array(Type.String(), {
    description:
      'their devices (Autobase writer keys) in this epoch; empty while a member who holds the new key waits for their device to be admitted'
  }),
  since: Type.Integer(),
  addedBy: Type.String()
})

const FeedItemJson = Type.Object({
  id: Type.String(),
  epoch: Type.Integer({ description: 'the epoch of the sphere key it was shared under' }),
  author: Type.String(),
  authorName: Type.String(),
  seq: Type.Integer(),
  time: Type.Integer(),
  type: Type.Union([
    Type.Literal('sphere.entry.shared'),
    Type.Literal('sphere.summary.shared'),
    Type.Literal('sphere.post')
  ]),
  body: Type.Unknown({
    description:
      'entry: { text, tags, mood?, dimension?, written }; summary: { from, to, entries, themes, emotions }; post: { text, replyTo? }'
  })
})

const ShareJson = Type.Object({
  id: Type.String({ description: 'the share.published event in your journal' }),
  seq: Type.Integer(),
  time: Type.Integer(),
  sphere: Type.String(),
  source: Type.String({ description: 'the entry id, the facet (dimension/facet/key) or patterns:FROM-TO' }),
  kind: Type.Union([Type.Literal('entry'), Type.Literal('facet'), Type.Literal('summary'), Type.Literal('other')]),
  item: Type.Union([Type.String(), Type.Null()], { description: 'the envelope in the sphere' }),
  summary: Type.Union([Type.String(), Type.Null()]),
  retractedSeq: Type.Union([Type.Integer(), Type.Null()]),
  retractedTime: Type.Union([Type.Integer(), Type.Null()])
})

const ShareBody = Type.Object(
  {
    entry: Type.Optional(EntryId),
    facet: Type.Optional(
      Type.String({
        pattern: '^(mind|heart|body)/[a-z]{1,32}/.{1,200}$',
        description: 'a profile facet: DIMENSION/FACET/KEY, e.g. mind/skill/typescript'
      })
    ),
    patterns: Type.Optional(
      Type.Object(
        {
          from: Type.Optional(TimeText),
          to: Type.Optional(TimeText)
        },
        {
          additionalProperties: false,
          description: 'counts of themes and moods over your shareable entries (default: the last 30 days)'
        }
      )
    )
  },
  { additionalProperties: false, description: 'exactly one of entry, facet, patterns' }
)

const WeightsJson = Type.Object(
  { interests: Type.Number(), skills: Type.Number(), values: Type.Number(), semantic: Type.Number() },
  { description: 'a number per score component' }
)

const FacetRefJson = Type.Object({
  kind: Type.Union([
    Type.Literal('skill'),
    Type.Literal('interest'),
    Type.Literal('value'),
    Type.Literal('seeking'),
    Type.Literal('project')
  ]),
  label: Type.String({ description: 'as its owner wrote it' }),
  level: Type.Optional(Type.Integer({ description: 'a skill’s level, 1 to 5' }))
})

const MatchedItemJson = Type.Object({
  component: Type.Union([
    Type.Literal('interests'),
    Type.Literal('skills'),
    Type.Literal('values'),
    Type.Literal('semantic')
  ]),
  term: Type.String({ description: 'the normalised term both sides share' }),
  mine: FacetRefJson,
  theirs: FacetRefJson,
  raw: Type.Number({ description: 'in [0, 1]: IDF for shared terms, level / 5 for skills' }),
  weight: Type.Number(),
  contribution: Type.Number({ description: 'raw × weight; a result’s contributions add up to its score' })
})

/** Exported for the test that holds it to a real result (nothing dropped by the serializer). */
export const MatchResultJson = Type.Object({
  kind: Type.Union([Type.Literal('member'), Type.Literal('project')]),
  member: Type.String({ description: 'the matched member, or the member who shared the project' }),
  name: Type.Optional(Type.String()),
  project: Type.Optional(Type.String({ description: 'the project’s label, for a project' })),
  score: Type.Number({ description: 'the sum of the items’ contributions, in the order listed' }),
  components: WeightsJson,
  items: Type.Array(MatchedItemJson)
})

const FeedbackModelJson = Type.Object(
  {
    base: WeightsJson,
    adjustments: WeightsJson,
    weights: WeightsJson,
    bias: Type.Number(),
    events: Type.Integer(),
    helpful: Type.Integer(),
    notHelpful: Type.Integer(),
    learningRate: Type.Number(),
    l2: Type.Number()
  },
  { description: 'the on-device ranking model learned from your feedback (docs/matching.md)' }
)

const MatchesJson = Type.Object({
  sphere: Type.String(),
  name: Type.String(),
  for: Type.Object({ member: Type.String(), name: Type.String() }),
  profiles: Type.Integer({ description: 'members with a matchable shared profile, the one asked for included' }),
  weights: WeightsJson,
  feedback: Type.Integer({ description: 'feedback events the weights were learned from (0: the defaults)' }),
  results: Type.Array(MatchResultJson, { description: 'best first' }),
  model: Type.Optional(FeedbackModelJson)
})

const MemberRef = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'their identity key, a prefix of 4 or more, or their name'
})

/**
 * Spheres: the shared spaces of layer 2 (src/swarm). Each route runs the command the
 * CLI runs (`cosmic sphere …`, `share`, `unshare`, `shares`, `peers`). Nothing here is
 * cached: a sphere changes when a peer writes, without any append to the journal.
 */
export const sphereRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/spheres',
    {
      schema: {
        tags: ['spheres'],
        summary: sphereList.summary,
        response: { 200: Type.Object({ spheres: Type.Array(SphereJson) }) }
      }
    },
    () => ctx.run(sphereList, {})
  )

  app.post(
    '/spheres',
    {
      schema: {
        tags: ['spheres'],
        summary: sphereCreate.summary,
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'what to call it' }) },
          { additionalProperties: false }
        ),
        response: { 201: SphereJson }
      }
    },
    async (request, reply) => {
      reply.code(201)
      return ctx.run(sphereCreate, { name: request.body.name }, 'write')
    }
  )

  app.post(
    '/spheres/join',
    {
      schema: {
        tags: ['spheres'],
        summary: `${sphereJoin.summary}; goes online (refused while sync_enabled is false or mirror_mode is local)`,
        body: Type.Object(
          {
            code: Type.String({ minLength: 1, maxLength: 1000, description: 'the invite code a member made' }),
            timeout: Type.Optional(
              Type.Integer({
                minimum: 1000,
                maximum: 10 * 60 * 1000,
                description: 'how long to wait for a member to answer, ms (default 60000)'
              })
            ),
            name: Type.Optional(
              Type.String({ minLength: 1, maxLength: 200, description: 'your name in the sphere (default your own)' })
            )
          },
          { additionalProperties: false }
        ),
        response: { 201: SphereJson }
      }
    },
    async (request, reply) => {
      const out = await ctx.run(sphereJoin, defined(request.body), 'write')
      reply.code(201)
      return out
    }
  )

  app.post(
    '/spheres/:sphere/invites',
    {
      schema: {
        tags: ['spheres'],
        summary: sphereInvite.summary,
        params: SphereParams,
        body: Type.Union([
          Type.Object(
            {
              expiresIn: Type.Optional(
                Type.Integer({
                  minimum: 60_000,
                  maximum: 30 * DAY,
                  description: 'how long it stays valid, ms (default one day)'
                })
              )
            },
            { additionalProperties: false }
          ),
          Type.Null()
        ]),
        response: {
          201: Type.Object({
            sphere: Type.String(),
            code: Type.String({ description: 'give it to the person you invite: cosmic sphere join CODE' }),
            id: Type.String(),
            expires: Type.Integer({ description: 'ms since the epoch' }),
            online: Type.Boolean({ description: 'whether this device is in the swarm to admit them' })
          })
        }
      }
    },
    async (request, reply) => {
      const out = await ctx.run(
        sphereInvite,
        { sphere: request.params.sphere, ...defined({ expiresIn: request.body?.expiresIn }) },
        'write'
      )
      reply.code(201)
      return out
    }
  )

  app.get(
    '/spheres/:sphere/members',
    {
      schema: {
        tags: ['spheres'],
        summary: sphereMembers.summary,
        params: SphereParams,
        response: {
          200: Type.Object({
            sphere: Type.String(),
            name: Type.String(),
            ...KeyStateFields,
            members: Type.Array(MemberJson),
            rejected: Type.Array(Type.Unknown(), { description: "envelopes the sphere's rules refused" })
          })
        }
      }
    },
    (request) => ctx.run(sphereMembers, { sphere: request.params.sphere })
  )

  app.delete(
    '/spheres/:sphere/members/:member',
    {
      schema: {
        tags: ['spheres'],
        summary: sphereRemove.summary,
        params: Type.Object(
          {
            sphere: SphereRef,
            member: MemberRef
          },
          { additionalProperties: false }
        ),
        querystring: Type.Object(
          { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'told to the sphere' })) },
          { additionalProperties: false }
        ),
        response: {
          200: Type.Object({
            removed: Type.String(),
            epoch: Type.Integer({ description: 'the new key the sphere moved to, which they never received' }),
            members: Type.Integer({ description: 'members the new key was sealed to' })
          })
        }
      }
    },
    (request) =>
      ctx.run(
        sphereRemove,
        { sphere: request.params.sphere, member: request.params.member, ...defined({ reason: request.query.reason }) },
        'write'
      )
  )

  app.post(
    '/spheres/:sphere/rotate',
    {
      schema: {
        tags: ['spheres'],
        summary: `${sphereRotate.summary}; 403 ADMIN_REQUIRED for a member who is not an admin`,
        params: SphereParams,
        response: {
          200: Type.Object({
            sphere: Type.String(),
            epoch: Type.Integer({ description: 'the new epoch' }),
            members: Type.Integer({ description: 'members the new key was sealed to' })
          })
        }
      }
    },
    (request) => ctx.run(sphereRotate, { sphere: request.params.sphere }, 'write')
  )

  app.post(
    '/spheres/:sphere/leave',
    {
      schema: {
        tags: ['spheres'],
        summary: sphereLeave.summary,
        params: SphereParams,
        response: {
          200: Type.Object({
            left: Type.String(),
            told: Type.Boolean({ description: 'whether the other members were told (false: you were the last)' })
          })
        }
      }
    },
    (request) => ctx.run(sphereLeave, { sphere: request.params.sphere }, 'write')
  )

  app.get(
    '/spheres/:sphere/feed',
    {
      schema: {
        tags: ['spheres'],
        summary: sphereFeed.summary,
        params: SphereParams,
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'how many (default 20)' })) },
          { additionalProperties: false }
        ),
        response: { 200: Type.Object({ sphere: Type.String(), items: Type.Array(FeedItemJson) }) }
      }
    },
    (request) => ctx.run(sphereFeed, { sphere: request.params.sphere, ...defined({ limit: request.query.limit }) })
  )

  app.post(
    '/spheres/:sphere/posts',
    {
      schema: {
        tags: ['spheres'],
        summary: spherePost.summary,
        params: SphereParams,
        body: Type.Object(
          {
            text: Type.String({ minLength: 1, maxLength: 50_000, pattern: '\\S', description: 'what to say' }),
            replyTo: Type.Optional(ItemId)
          },
          { additionalProperties: false }
        ),
        response: { 201: Type.Object({ id: Type.String(), sphere: Type.String() }) }
      }
    },
    async (request, reply) => {
      const out = await ctx.run(spherePost, { sphere: request.params.sphere, ...defined(request.body) }, 'write')
      reply.code(201)
      return out
    }
  )

  app.post(
    '/spheres/:sphere/shares',
    {
      schema: {
        tags: ['spheres'],
        summary: `${share.summary}; a private or sealed entry is refused (403 NETWORK_REFUSED)`,
        params: SphereParams,
        body: ShareBody,
        response: {
          201: Type.Object({
            share: Type.String({ description: 'the share.published event in your journal' }),
            item: Type.String({
              description: 'the new envelope in the sphere (withdraw it with DELETE /api/shares/ITEM)'
            }),
            sphere: Type.String(),
            kind: Type.Union([Type.Literal('entry'), Type.Literal('facet'), Type.Literal('summary')])
          })
        }
      }
    },
    async (request, reply) => {
      const given = (['entry', 'facet', 'patterns'] as const).filter((k) => request.body[k] !== undefined)
      if (given.length !== 1) {
        throw CosmicError.INVALID_INPUT(
          given.length === 0
            ? 'body field "entry" is required: share exactly one thing (entry, facet or patterns)'
            : `body fields "${given.join('", "')}" were given together: share exactly one thing (entry, facet or patterns)`,
          { field: given[1] ?? 'entry', in: 'body' }
        )
      }
      const out = await ctx.run(share, { sphere: request.params.sphere, ...defined(request.body) }, 'write')
      reply.code(201)
      return out
    }
  )

  app.get(
    '/spheres/:sphere/matches',
    {
      schema: {
        tags: ['spheres'],
        summary: `${sphereMatches.summary}; 404 NOT_FOUND when you (or \`for\`) shared nothing matchable into it`,
        params: SphereParams,
        querystring: Type.Object(
          {
            for: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 200,
                description: 'whose matches: a member’s key, a prefix of 4 or more, or their name (default you)'
              })
            ),
            limit: Type.Optional(
              Type.Integer({ minimum: 1, maximum: MAX_MATCHES, description: 'how many (default 10)' })
            ),
            explain: Type.Optional(Type.Boolean({ description: 'add the learned ranking model (`model`)' }))
          },
          { additionalProperties: false }
        ),
        response: {
          200: MatchesJson
        }
      }
    },
    async (request) => {
      const out = await ctx.run(sphereMatches, {
        sphere: request.params.sphere,
        ...defined({ for: request.query.for, limit: request.query.limit, explain: request.query.explain })
      })
      // The command's results are readonly; the schema's static type is not (the serializer only reads).
      return out as Static<typeof MatchesJson>
    }
  )

  app.post(
    '/spheres/:sphere/feedback',
    {
      schema: {
        tags: ['spheres'],
        summary: `${sphereFeedback.summary}; the model is learned on this device and never leaves it`,
        params: SphereParams,
        body: Type.Object(
          {
            member: MemberRef,
            helpful: Type.Boolean({ description: 'whether the match was helpful' })
          },
          { additionalProperties: false }
        ),
        response: {
          201: Type.Object({
            id: Type.String({ description: 'the match.feedback event in your journal' }),
            sphere: Type.String(),
            member: Type.String(),
            name: Type.String(),
            helpful: Type.Boolean(),
            components: WeightsJson,
            feedback: Type.Integer({ description: 'feedback events the model now learns from, this one included' }),
            weights: WeightsJson
          })
        }
      }
    },
    async (request, reply) => {
      const out = await ctx.run(sphereFeedback, { sphere: request.params.sphere, ...request.body }, 'write')
      reply.code(201)
      return out
    }
  )

  app.get(
    '/shares',
    {
      schema: {
        tags: ['spheres'],
        summary: sharesList.summary,
        querystring: Type.Object(
          {
            sphere: Type.Optional(SphereRef),
            all: Type.Optional(Type.Boolean({ description: 'withdrawn shares too' }))
          },
          { additionalProperties: false }
        ),
        response: { 200: Type.Object({ shares: Type.Array(ShareJson) }) }
      }
    },
    (request) => ctx.run(sharesList, defined(request.query))
  )

  app.delete(
    '/shares/:ref',
    {
      schema: {
        tags: ['spheres'],
        summary: `${unshare.summary} (the sphere envelope id, the share.published id, or the shared entry id or facet)`,
        params: Type.Object(
          { ref: Type.String({ minLength: 1, maxLength: 300, description: 'what to withdraw' }) },
          { additionalProperties: false }
        ),
        querystring: Type.Object(
          { sphere: Type.Optional(SphereRef) },
          { additionalProperties: false, description: 'only from this sphere' }
        ),
        response: { 200: Type.Object({ withdrawn: Type.Array(ShareJson) }) }
      }
    },
    (request) => ctx.run(unshare, { ref: request.params.ref, ...defined({ sphere: request.query.sphere }) }, 'write')
  )

  app.get(
    '/peers',
    {
      schema: {
        tags: ['spheres'],
        summary: peers.summary,
        response: {
          200: Type.Object({
            online: Type.Boolean({ description: 'whether this server is in the swarm' }),
            peers: Type.Array(
              Type.Object({
                peer: Type.String(),
                topics: Type.Array(Type.String()),
                initiator: Type.Boolean(),
                since: Type.Integer()
              })
            )
          })
        }
      }
    },
    () => ctx.run(peers, {})
  )
}
