import type { MemberProfile } from './profile.js'

/**
 * The optional semantic hook: a local model that turns a text into a vector. When a
 * sphere's profiles are upserted with embeddings, project descriptions also match by
 * the cosine similarity between the description and the closest of a person's
 * interest and seeking labels. The built-in path needs none of this.
 */
export interface Embedder {
  embed(text: string): Promise<Float32Array>
}

/** The vectors of one profile: interest and seeking labels, and project descriptions, keyed by label as written. */
export interface ProfileEmbeddings {
  readonly labels: ReadonlyMap<string, Float32Array>
  readonly projects: ReadonlyMap<string, Float32Array>
}

/** The text a project is embedded from: its name, then its description. */
export function projectText(label: string, text: string | undefined): string {
  return text ? `${label}\n${text}` : label
}

/**
 * Embeds what the semantic component reads from a profile, one text at a time (a
 * local model runs one prompt at a time anyway), each distinct text once.
 */
export async function embedProfile(embedder: Embedder, profile: MemberProfile): Promise<ProfileEmbeddings> {
  const labels = new Map<string, Float32Array>()
  const projects = new Map<string, Float32Array>()
  for (const facet of profile.facets) {
    if ((facet.kind === 'interest' || facet.kind === 'seeking') && !labels.has(facet.label)) {
      labels.set(facet.label, await embedder.embed(facet.label))
    } else if (facet.kind === 'project' && !projects.has(facet.label)) {
      projects.set(facet.label, await embedder.embed(projectText(facet.label, facet.text)))
    }
  }
  return { labels, projects }
}
